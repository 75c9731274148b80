@monitor
Feature: Monitoring the deployed model in Watson OpenScale
  As a model-risk officer
  I want the endpoint's traffic logged and its quality measured against our thresholds,
  so that a model that stops being accurate enough is caught before it is released.

  Scenario Outline: The endpoint is subscribed with payload and feedback logging on <platform>
    Given the IBM services of <platform>
    And the model use case "use_case_mnist_tf"
    And the model has been deployed
    When the model is monitored
    Then the subscription is active
    And the lifecycle shows trained "True", deployed "True", governed "False", monitored "True"
    When 20 test images are scored and logged as payload
    Then the payload data set holds 20 records
    When the quality monitor is configured
    Then the quality monitor's thresholds are the signature's
    When 50 test images are logged as feedback with their true labels
    And the model is evaluated
    Then the evaluated accuracy equals the accuracy of the logged predictions against the labels
    And the evaluation passes
    When the use case is cleaned up
    Then the cleanup reports 1 subscription deleted
    And no subscription, monitor or service provider we created remains

    @ibm_cloud
    Examples:
      | platform  |
      | IBM Cloud |

    @cloud_pak_for_data
    Examples:
      | platform           |
      | Cloud Pak for Data |

  @gate
  Scenario: A mislabelled feedback batch breaches the accuracy threshold and the gate refuses
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    And the model is monitored with a quality monitor
    When 50 test images are logged as feedback with wrong labels
    And the model is evaluated
    Then the evaluation reports the accuracy threshold as violated
    And the release gate refuses the release naming accuracy, its value and its threshold

  Scenario: Evaluating with too little feedback says how many records are missing
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    And the model is monitored with a quality monitor
    When 4 test images are logged as feedback with their true labels
    And the model is evaluated
    Then the evaluation is refused saying 6 more feedback records are needed
