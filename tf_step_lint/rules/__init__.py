"""The rule registry: every rule the engine runs, in code order."""
from typing import Dict, List, Type

from tf_step_lint.rules.base import Rule
from tf_step_lint.rules.canned_estimator_keras_optimizer import CannedEstimatorKerasOptimizer
from tf_step_lint.rules.export_without_checkpoint import ExportWithoutCheckpoint
from tf_step_lint.rules.max_steps_misuse import MaxStepsMisuse
from tf_step_lint.rules.update_ops_not_in_train_op import UpdateOpsNotInTrainOp
from tf_step_lint.rules.create_global_step_in_model_fn import CreateGlobalStepInModelFn
from tf_step_lint.rules.custom_step_variable import CustomStepVariable
from tf_step_lint.rules.estimator_removed import EstimatorRemoved
from tf_step_lint.rules.export_savedmodel_renamed import ExportSavedmodelRenamed
from tf_step_lint.rules.export_unsupported_argument import ExportUnsupportedArgument
from tf_step_lint.rules.global_step_function_not_called import GlobalStepFunctionNotCalled
from tf_step_lint.rules.keras_optimizer_in_model_fn import KerasOptimizerInModelFn
from tf_step_lint.rules.saver_drops_global_step import SaverDropsGlobalStep
from tf_step_lint.rules.serving_fn_called import ServingFnCalled
from tf_step_lint.rules.step_incremented_twice import StepIncrementedTwice
from tf_step_lint.rules.step_never_increments import StepNeverIncrements
from tf_step_lint.rules.tf1_name_in_tf2_namespace import Tf1NameInTf2Namespace

ALL_RULES: List[Type[Rule]] = [StepNeverIncrements, CustomStepVariable, KerasOptimizerInModelFn,
                               CreateGlobalStepInModelFn, StepIncrementedTwice, GlobalStepFunctionNotCalled,
                               UpdateOpsNotInTrainOp, MaxStepsMisuse, CannedEstimatorKerasOptimizer,
                               ExportUnsupportedArgument, ExportSavedmodelRenamed, SaverDropsGlobalStep,
                               ServingFnCalled, ExportWithoutCheckpoint, EstimatorRemoved, Tf1NameInTf2Namespace]
RULES_BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in ALL_RULES}
