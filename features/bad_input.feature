Feature: Every bad input gets a clear answer and loses nothing
  As an ML platform engineer
  I want every mistake a user or a client can make to be answered with an error that names
  the problem and what to do, with the run's state left intact,
  so that a failed onboarding is a fixable one and never a silent or corrupt one.

  Scenario Outline: A broken model signature is refused with the JSON path of the problem
    Given a copy of the model use case whose signature has <defect>
    When the use case is opened
    Then it is refused with an error mentioning "<message>"

    Examples:
      | defect                              | message                                      |
      | no problem type                     | $.signature.problem_type: Field required     |
      | an accuracy threshold of 1.5        | $.quality_monitor.thresholds[0].value        |
      | a threshold on an unknown metric    | $.quality_monitor.thresholds[0].metric_id    |
      | a minimum feedback size of zero     | min_feedback_data_size must be a positive    |
      | a syntax error                      | not valid JSON                               |
      | been deleted                        | needs a model_signature.json                 |

  Scenario Outline: Damaged training data is refused before any job starts
    Given the model use case "use_case_mnist_tf"
    And a copy of the data set whose file "<file>" is <damage>
    When the model is trained on that copy
    Then it is refused with an error mentioning "<file>"
    And no training job was started
    And the state file is intact

    Examples:
      | file                       | damage       |
      | t10k-images-idx3-ubyte.gz  | truncated    |
      | train-labels-idx1-ubyte.gz | corrupted    |
      | t10k-labels-idx1-ubyte.gz  | missing      |

  Scenario Outline: A bad scoring request is refused and the endpoint keeps serving
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    When a scoring request is sent with <problem>
    Then it is refused with an error mentioning "<message>"
    And the endpoint still serves 2 test images
    And the state file is intact

    Examples:
      | problem                            | message      |
      | pixel values that are not numbers  | number       |
      | a pixel value that is NaN          | NaN          |
      | a pixel value that is infinite     | Inf          |
      | pixel values above 1               | range        |
      | a body over the 6 MB limit         | 6 MiB        |

  Scenario: A large scoring batch is split to fit the invoke limit
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    When 1000 test images are scored
    Then 1000 predictions come back with probabilities summing to 1

  Scenario: A wrong IBM API key is refused by IAM and named as the problem
    Given the model use case "use_case_mnist_tf" with a wrong IBM API key
    And the model has been deployed
    When the model is monitored expecting a refusal
    Then it is refused with an error mentioning "API_KEY"
    And the error does not show the key
    And the state file is intact

  @emulated @ibm_cloud
  Scenario: An expired IBM token is refreshed without the user noticing
    Given the IBM services of IBM Cloud
    And the model use case "use_case_mnist_tf"
    And the model has been deployed
    And IBM tokens that expire after 2 seconds
    When the model is monitored
    And the IBM token has expired
    And 5 test images are scored and logged as payload
    Then the payload data set holds 5 records
    And a new IBM token was issued

  Scenario: Monitoring an endpoint that no longer exists is refused
    Given the model use case "use_case_mnist_tf"
    And the model has been deployed
    And the endpoint was deleted outside this run
    When the model is monitored expecting a refusal
    Then it is refused with an error mentioning "no longer exists"
    And the state file is intact
