@mnist
Feature: Every bad input gets a clear answer and loses nothing
  As an ML platform engineer
  I want every mistake a user or a client can make to be answered with an error that names
  the problem and what to do, with the run's state left intact,
  so that a failed onboarding is a fixable one and never a silent or corrupt one.

  Scenario Outline: A broken model signature is refused, pointing at what to fix
    Given a copy of the model use case whose signature has <mistake>
    When the use case is opened
    Then it is refused, pointing the user to <what to fix>

    Examples:
      | mistake                          | what to fix                                  |
      | no problem type                  | the problem type, which is required          |
      | an accuracy threshold of 1.5     | the accuracy threshold's value               |
      | a threshold on an unknown metric | the metric the threshold names               |
      | a minimum feedback size of zero  | the minimum feedback size, which must be positive |
      | a syntax error                   | the signature file, which is not valid JSON  |
      | been deleted                     | the signature file the use case needs        |

  Scenario Outline: Damaged training data is refused before any job starts
    Given the model use case "use_case_mnist_tf"
    And a copy of the data set whose <part> is <damage>
    When the model is trained on that copy
    Then it is refused, naming the damaged file
    And no training job was started
    And the state file is intact

    Examples:
      | part                  | damage    |
      | file of test images   | truncated |
      | file of training labels | corrupted |
      | file of test labels   | missing   |

  Scenario Outline: A bad scoring request is refused and the endpoint keeps serving
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    When a client sends <a bad request>
    Then it is refused, telling the client <what is wrong>
    And the state file is intact
    When 2 test examples are scored
    Then 2 predictions come back with probabilities summing to 1

    Examples:
      | a bad request                     | what is wrong                           |
      | pixel values that are not numbers | the pixels must be numbers              |
      | a pixel value that is NaN         | a pixel is not a number                 |
      | a pixel value that is infinite    | a pixel is infinite                     |
      | pixel values above 1              | the pixels are out of range             |
      | a body over the 6 MB limit        | the request is over the 6 MB limit      |

  Scenario: A scoring batch over the 6 MB request limit is split to fit
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    When 2000 test examples are scored
    Then 2000 predictions come back with probabilities summing to 1
    And the images, more than 6 MB in all, went in 2 requests, none over the limit

  Scenario: A wrong IBM API key is refused by IBM's login and named as the problem
    Given the model use case "use_case_mnist_tf" with a wrong IBM API key
    And the model has been deployed
    When the model is monitored
    Then it is refused, naming the IBM API key as the problem
    And the error does not show the key
    And the state file is intact

  @emulated @ibm_cloud
  Scenario: An IBM login that expires mid-run is renewed without the user noticing
    Given the IBM services of IBM Cloud
    And the model use case "use_case_mnist_tf"
    And the model has been deployed
    And IBM logins that expire after 2 minutes
    When the model is monitored
    And 3 minutes pass
    And 5 test examples are scored and logged for monitoring
    Then the monitoring service holds 5 scored requests
    And IBM issued a new login after the first one expired

  Scenario: Monitoring an endpoint that no longer exists is refused
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    And the endpoint was deleted outside this run
    When the model is monitored
    Then it is refused, saying the endpoint no longer exists
    And the state file is intact
