@train
Feature: Training the model as a SageMaker job
  As a model-risk officer
  I want evidence that the model was trained by the platform, from the governed data set,
  so that the model we approve is the model that was built.

  Background:
    Given the model use case under test

  Scenario: The training job completes and records the model's test accuracy
    When the model is trained as a SageMaker job
    Then the training job has completed
    And the model artifact is stored where the job put its output
    And the test metrics the job recorded meet the model's quality thresholds
    And the model is recorded as trained, but not yet deployed, governed or monitored

  Scenario: Training twice does not start a second job
    Given the model has been trained
    When the model is trained as a SageMaker job
    Then no second training job was started
