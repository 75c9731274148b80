@monitor
Feature: Monitoring the deployed model in Watson OpenScale
  As a model-risk officer
  I want the endpoint's traffic logged and its quality measured against our thresholds,
  so that a model that stops being accurate enough is caught before it is released.

  Scenario Outline: The endpoint's requests and feedback are logged for monitoring on <platform>
    Given the IBM services of <platform>
    And the model use case under test
    And the model has been deployed
    When the model is monitored
    Then its monitoring is active
    And the model is recorded as trained, deployed and monitored, but not yet governed
    When 200 test examples are scored and logged for monitoring
    Then the monitoring service holds 200 scored requests
    When the model's monitors are configured
    Then the monitors hold the thresholds of the model's signature
    When 50 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    Then the evaluated accuracy is the share of the logged predictions that match their labels
    And every threshold of the model's signature is met
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

  @gate @accuracy_threshold
  Scenario Outline: OpenScale judges accuracy to the point, and the gate asks for more evidence
    Given the model use case under test
    And the model has been deployed
    And the model is monitored with a quality monitor
    When feedback is logged on which the model's accuracy is just <side> its threshold
    And the model's quality is evaluated
    Then the evaluated accuracy is the share of the logged predictions that match their labels
    And the evaluation finds the accuracy threshold <finding>
    When the release is put to the gate
    Then the gate finds the accuracy threshold undecided, saying how many feedback records would decide

    Examples:
      | side  | finding  |
      | under | breached |
      | over  | met      |

  Scenario: Evaluating with too little feedback says how many records are missing
    Given the model use case under test
    And the model has been deployed
    And the model is monitored with a quality monitor
    When 4 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    Then the evaluation is refused, saying 6 more feedback records are needed
