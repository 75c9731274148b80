@gate
Feature: A release gate that says when the evidence is not enough
  As a model-risk officer
  I want the gate to approve a release only when the evidence shows the model meets our
  thresholds, to refuse it when the evidence shows it does not, and otherwise to say that it
  cannot tell yet and how much more evidence would decide,
  so that no release is decided on noise, and an auditor can check later what was approved.

  Background:
    Given the model use case under test

  @accuracy_threshold
  Scenario: Too little feedback leaves the gate undecided, and more feedback decides it
    Given the model has been deployed
    And the model is monitored with a quality monitor
    When 10 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    And the release is put to the gate
    Then the gate finds the accuracy threshold undecided, saying how many feedback records would decide
    When 190 more test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    And the release is put to the gate
    Then the gate finds the accuracy threshold met beyond doubt

  @accuracy_threshold
  Scenario: An accuracy three points over the threshold on 100 records is not enough evidence
    Given the model has been deployed
    And the model is monitored with a quality monitor
    When feedback is logged on which the model's accuracy is 3 points over its threshold
    And the model's quality is evaluated
    And the release is put to the gate
    Then the gate finds the accuracy threshold undecided, saying how many feedback records would decide
    And the undecided release is refused or approved as the signature's rule says, naming the rule

  @accuracy_threshold
  Scenario: A model whose accuracy is surely under its threshold is refused
    Given the model has been deployed
    And the model is monitored with a quality monitor
    When feedback is logged on which the model's accuracy is 20 points under its threshold
    And the model's quality is evaluated
    And the release is put to the gate
    Then the gate finds the accuracy threshold breached beyond doubt
    And the release gate refuses the release, naming accuracy, its interval and its threshold

  @mnist
  Scenario: A challenger worse than its champion is refused although it meets the thresholds
    Given the released model, evaluated on 200 feedback records, is the champion
    And a challenger trained on a third of the training images is deployed and monitored
    When the challenger is evaluated on the same 200 feedback records
    And the challenger is put to the gate against the champion
    Then the gate finds the challenger's accuracy threshold met beyond doubt
    And the release gate refuses the challenger, naming its accuracy against the champion's

  @emulated
  Scenario Outline: A changed <item> is detected by verifying the evidence pack
    Given the model use case under test, with its own copy of the data set
    And the model has been deployed
    And the model is monitored with a quality monitor
    When 50 test examples are logged as feedback with their true labels
    And the model's quality is evaluated
    And the release is put to the gate
    And the <item> is changed after the release was decided
    Then verifying the evidence pack names the <item> as changed, and nothing else

    Examples:
      | item           |
      | model artifact |
      | test data file |
