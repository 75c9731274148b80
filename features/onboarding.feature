@train @serve @govern @monitor @gate
Feature: Onboarding a model, from training to cleanup
  As a model-risk officer
  I want the whole onboarding of the model under test demonstrated from training to cleanup,
  so that I can approve its release knowing it was built, served, governed and monitored
  as our policy requires, and that nothing was left running afterwards.

  Background:
    Given the model use case under test
    And the model's entry in our model inventory

  Scenario: The model is onboarded, evaluated, approved for release and cleaned up
    Then the model is recorded as not yet trained, deployed, governed or monitored

    When the model is trained as a SageMaker job
    Then the training job has completed
    And the test metrics the job recorded meet the model's quality thresholds
    And the model is recorded as trained, but not yet deployed, governed or monitored

    When the model is deployed to an endpoint
    Then the endpoint is in service
    And the model is recorded as trained and deployed, but not yet governed or monitored

    When 10 test examples are scored
    Then 10 predictions come back with probabilities summing to 1

    When the model is governed
    Then the model asset is linked to the model's entry in the inventory
    And the model is recorded as trained, deployed and governed, but not yet monitored

    When the model is monitored
    Then its monitoring is active
    And the model is recorded as trained, deployed, governed and monitored

    When 200 test examples are scored and logged for monitoring
    Then the monitoring service holds 200 scored requests

    When the model's monitors are configured
    Then the monitors hold the thresholds of the model's signature

    When 100 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    Then the evaluated accuracy is the share of the logged predictions that match their labels
    And every threshold of the model's signature is met

    When the release is put to the gate
    Then the release gate approves the release

    When the use case is cleaned up
    Then the cleanup reports 1 serving deployment, 1 subscription and 1 model asset deleted
    And the model is recorded as trained, but no longer deployed, governed or monitored
    And nothing the onboarding created is left running
