@serve
Feature: Serving the MNIST CNN from a SageMaker endpoint
  As an ML platform engineer
  I want the trained model deployed to an endpoint that answers with the model's own predictions,
  so that what we monitor is what our customers get.

  Background:
    Given the model use case "use_case_mnist_tf"
    And the model has been trained

  Scenario: The endpoint serves the model's predictions
    When the model is deployed to an endpoint
    Then the endpoint is in service
    And the lifecycle shows trained "True", deployed "True", governed "False", monitored "False"
    When 10 test images are scored
    Then 10 predictions come back with probabilities summing to 1
    And the response time is measured

  Scenario: The endpoint's classes match the true labels
    Given the model has been deployed
    When 100 test images are scored
    Then at least 90% of the predicted classes match the true labels

  Scenario Outline: A bad request gets a clear error and the endpoint keeps serving
    Given the model has been deployed
    When a scoring request is sent with <problem>
    Then it is refused with an error mentioning "<message>"
    And the endpoint still serves 2 test images

    Examples:
      | problem                   | message      |
      | images of the wrong shape | shape        |
      | an empty batch            | empty        |
      | a body that is not JSON   | JSON         |
      | a wrong content type      | content type |
      | an unknown endpoint       | not found    |

  Scenario: Cleanup leaves no endpoint, configuration or model behind
    Given the model has been deployed
    When the use case is cleaned up
    Then the cleanup reports 1 serving deployment deleted
    And no endpoint, endpoint configuration or model remains
