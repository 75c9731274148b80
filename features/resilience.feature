Feature: The onboarding survives faults and never leaves anything behind
  As a model-risk officer
  I want an onboarding that rides out passing faults, stops clearly on lasting ones, and can
  always be cleaned up from its state file by a new process, even after a crash,
  so that a failed run never leaves a paid endpoint or a stray subscription running.

  Background:
    Given the model use case "use_case_mnist_tf"
    And the model has been trained

  @emulated
  Scenario Outline: A crash right after the <resource> is created is cleaned up from the state file
    Given every service fails right after the <resource> is created
    When the onboarding runs until it fails
    Then it stopped right after creating the <resource>
    When the services recover and a new process cleans up from the state file
    Then no resource of the onboarding remains in any service
    And cleaning up again deletes nothing

    Examples:
      | resource                     |
      | serving model                |
      | endpoint configuration       |
      | endpoint                     |
      | training facts               |
      | model asset                  |
      | model use case link          |
      | data mart                    |
      | service provider             |
      | subscription                 |
      | quality monitor              |

  @emulated
  Scenario Outline: A passing <fault> from <service> is ridden out
    Given <service> answers the next <times> requests to <operation> with <fault>
    When the model is onboarded up to its evaluation
    Then the evaluation passes
    And <service> injected <times> faults

    Examples:
      | service               | operation                  | fault               | times |
      | Watson OpenScale      | POST /v2/subscriptions     | 503                 | 2     |
      | Watson OpenScale      | POST /v2/monitor_instances | 500                 | 1     |
      | AI Factsheets         | PUT /model_stub            | 429                 | 2     |
      | SageMaker             | CreateEndpoint             | ThrottlingException | 2     |
      | SageMaker             | InvokeEndpoint             | ServiceUnavailable  | 1     |
      | the IBM login service | its token request          | 503                 | 2     |

  @emulated
  Scenario: A lasting outage stops the onboarding with an error naming service and operation
    Given Watson OpenScale answers every request to POST /v2/subscriptions with 503
    When the onboarding runs until it fails
    Then it is refused with an error mentioning "Watson OpenScale"
    And it is refused with an error mentioning "503"
    When the services recover and a new process cleans up from the state file
    Then no resource of the onboarding remains in any service

  Scenario: Running every step twice creates nothing twice
    When the model is onboarded up to its evaluation
    And the model is onboarded up to its evaluation again
    Then the services hold 1 endpoint, 1 subscription and 1 model asset for the model
    When the use case is cleaned up
    Then cleaning up again deletes nothing

  @emulated
  Scenario Outline: A delete refused by <service> does not stop the cleanup
    Given the model has been onboarded up to its evaluation
    And <service> refuses to delete the <resource>
    When the use case is cleaned up despite the refusal
    Then the cleanup names the <resource> in <service> as not deleted
    And SageMaker no longer has the endpoint
    And the state file still lists the <resource> and nothing of the other services
    When <service> accepts deletes again and the use case is cleaned up again
    Then no resource of the onboarding remains in any service

    Examples:
      | service          | resource      |
      | AI Factsheets    | model asset   |
      | Watson OpenScale | subscription  |
      | SageMaker        | serving model |
