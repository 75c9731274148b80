@govern
Feature: Governing the deployed model in AI Factsheets
  As a model-risk officer
  I want every deployed model registered in our model inventory, linked to its model use case,
  with the facts of its training attached,
  so that I can see what runs in production and how it was built.

  Scenario Outline: The deployed model is registered and linked to its model use case on <platform>
    Given the IBM services of <platform>
    And the model use case under test
    And the model has been deployed
    When the model is governed
    Then the model inventory holds an asset for the deployed model
    And the model asset is linked to the model's entry in the inventory
    And the asset records the training's hyperparameters and test accuracy
    And the model is recorded as trained, deployed and governed, but not yet monitored
    When the use case is cleaned up
    Then the cleanup reports 1 model asset deleted
    And no model asset or link remains in the model inventory

    @ibm_cloud
    Examples:
      | platform  |
      | IBM Cloud |

    @cloud_pak_for_data
    Examples:
      | platform           |
      | Cloud Pak for Data |

  @emulated
  Scenario: Governing twice registers one asset
    Given the model use case under test
    And the model has been deployed
    When the model is governed
    And the model is governed again
    Then the model inventory holds 1 asset for the endpoint
