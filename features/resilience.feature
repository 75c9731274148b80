@mnist
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
    Given every service goes down right after the <resource> is created
    When the model is onboarded up to its evaluation
    Then the onboarding stopped right after creating the <resource>
    When the services recover and a new process cleans up from the state file
    Then no resource of the onboarding remains in any service
    When the use case is cleaned up again
    Then the second cleanup deletes nothing

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
  Scenario Outline: <service> <trouble> <moment> is ridden out
    Given <service> is <trouble> for our first <tries> tries <moment>
    When the model is onboarded up to its evaluation
    Then every threshold of the model's signature is met
    And <service> turned away exactly <tries> of our tries

    Examples:
      | service               | trouble             | moment                              | tries |
      | Watson OpenScale      | briefly unavailable | while we subscribe                  | 2     |
      | Watson OpenScale      | failing             | while we create the quality monitor | 1     |
      | AI Factsheets         | throttling us       | while we record the model asset     | 2     |
      | SageMaker             | throttling us       | while we create the endpoint        | 2     |
      | SageMaker             | briefly unavailable | while we score                      | 1     |
      | the IBM login service | briefly unavailable | while we log in                     | 2     |

  @emulated
  Scenario: A lasting outage stops the onboarding with an error naming the service and its answer
    Given Watson OpenScale is unavailable for every try while we subscribe
    When the model is onboarded up to its evaluation
    Then the onboarding stopped with an error naming Watson OpenScale and its answer
    When the services recover and a new process cleans up from the state file
    Then no resource of the onboarding remains in any service

  Scenario: Running every step twice creates nothing twice
    When the model is onboarded up to its evaluation
    And the model is onboarded up to its evaluation again
    Then the services hold 1 endpoint, 1 subscription and 1 model asset for the model
    When the use case is cleaned up
    And the use case is cleaned up again
    Then the second cleanup deletes nothing

  @emulated
  Scenario Outline: A delete refused by <service> does not stop the cleanup
    Given the model has been onboarded up to its evaluation
    And <service> refuses to delete the <resource>
    When the use case is cleaned up
    Then the cleanup names the <resource> in <service> as not deleted
    And SageMaker no longer has the endpoint
    And the state file still lists the <resource> and nothing of the other services
    When <service> accepts deletes again
    And the use case is cleaned up again
    Then no resource of the onboarding remains in any service

    Examples:
      | service          | resource      |
      | AI Factsheets    | model asset   |
      | Watson OpenScale | subscription  |
      | SageMaker        | serving model |
