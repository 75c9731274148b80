@train @serve @govern @monitor @gate
Feature: Onboarding the MNIST handwritten-digit model
  As a model-risk officer
  I want the whole onboarding of the MNIST model demonstrated from training to cleanup,
  so that I can approve its release knowing it was built, served, governed and monitored
  as our policy requires, and that nothing was left running afterwards.

  Background:
    Given the model use case "use_case_mnist_tf"
    And the catalog id and model entry id of our model inventory

  Scenario: The model is onboarded, evaluated, approved for release and cleaned up
    Then the lifecycle shows trained "False", deployed "False", governed "False", monitored "False"

    When the model is trained as a SageMaker job
    Then the training job has completed
    And the recorded test accuracy is at least 0.90
    And the lifecycle shows trained "True", deployed "False", governed "False", monitored "False"

    When the model is deployed to an endpoint
    Then the endpoint is in service
    And the lifecycle shows trained "True", deployed "True", governed "False", monitored "False"

    When 10 test images are scored
    Then 10 predictions come back with probabilities summing to 1

    When the model is governed
    Then the asset is linked to the model entry
    And the lifecycle shows trained "True", deployed "True", governed "True", monitored "False"

    When the model is monitored
    Then the subscription is active
    And the lifecycle shows trained "True", deployed "True", governed "True", monitored "True"

    When 20 test images are scored and logged as payload
    Then the payload data set holds 20 records

    When the quality monitor is configured
    Then the quality monitor's thresholds are the signature's

    When 100 test images are logged as feedback with their true labels
    And the model is evaluated
    Then the evaluated accuracy equals the accuracy of the logged predictions against the labels
    And the evaluation passes
    And the release gate approves the release

    When the use case is cleaned up
    Then the cleanup reports 1 serving deployment, 1 subscription and 1 model asset deleted
    And the lifecycle shows trained "True", deployed "False", governed "False", monitored "False"
    And nothing the onboarding created is left running
