@serve
Feature: Serving the model from a SageMaker endpoint
  As an ML platform engineer
  I want the trained model deployed to an endpoint that answers with the model's own predictions,
  so that what we monitor is what our customers get.

  Background:
    Given the model use case under test
    And the model has been trained

  Scenario: The endpoint serves the model's predictions promptly
    When the model is deployed to an endpoint
    Then the endpoint is in service
    And the model is recorded as trained and deployed, but not yet governed or monitored
    When 10 test examples are scored
    Then 10 predictions come back with probabilities summing to 1
    And the answer came within 2 seconds, a thirtieth of the 60 seconds SageMaker allows

  @accuracy_threshold
  Scenario: The endpoint's classes match the true labels
    Given the model has been deployed
    When 100 test examples are scored
    Then the predicted classes match the true labels at least as often as the model's accuracy threshold requires

  Scenario Outline: A bad request gets a clear answer and the endpoint keeps serving
    Given the model has been deployed
    When a client sends <a bad request>
    Then it is refused, telling the client <what is wrong>
    When 2 test examples are scored
    Then 2 predictions come back with probabilities summing to 1

    Examples:
      | a bad request                       | what is wrong                        |
      | inputs of the wrong shape           | the inputs have the wrong shape      |
      | an empty batch                      | the batch is empty                   |
      | a body that is not JSON             | the body is not JSON                 |
      | data in a format the model can't read | the model does not read that format |
      | a request for an unknown endpoint   | there is no such endpoint            |

  Scenario: Cleanup leaves no endpoint, configuration or model behind
    Given the model has been deployed
    When the use case is cleaned up
    Then the cleanup reports 1 serving deployment deleted
    And no endpoint, endpoint configuration or model remains
