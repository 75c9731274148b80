@monitor @fairness
Feature: Holding the model to our fairness policy
  As a model-risk officer
  I want the model's decisions compared between the groups our fairness policy protects,
  so that a model that favours one group beyond our threshold is never released.
  (A model that treats every group alike is approved by the onboarding feature, which judges
  every threshold of the signature, fairness included.)

  Background:
    Given the model use case under test
    And the model has been deployed
    And the model is monitored
    And the model's monitors are configured

  @gate
  Scenario: A model that favours one group beyond the threshold is refused
    When requests are logged on which the model gives the first monitored group the favourable outcome half as often as its reference group
    And 100 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    Then the evaluation shows, for each monitored feature, how often each group gets the favourable outcome
    And the evaluation finds the first monitored feature's disparate impact at about 0.5, under its threshold
    When the release is put to the gate
    Then the release gate refuses the release, naming the feature, both groups, the measured disparate impact and the threshold

  Scenario: Too few requests to judge fairness is not a pass
    When 20 test examples are scored and logged for monitoring
    And 100 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    When the release is put to the gate
    Then the gate finds fairness undecided, saying how many requests it needs
    And the undecided release is refused or approved as the signature's rule says, naming the rule
