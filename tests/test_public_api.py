"""Every public name lamina promises exists, and torch has it at the same path.

Later issues add their names to the lists below.
"""

from __future__ import annotations

import importlib

import pytest
import torch

import lamina

# issue 2: package, Tensor, creation, ops, autograd
TOP_LEVEL = """
finfo iinfo set_printoptions
Tensor Size dtype device float32 float64 float16 int64 int32 uint8 bool float double half long
int get_default_dtype set_default_dtype is_tensor numel is_floating_point
tensor as_tensor from_numpy zeros ones full empty zeros_like ones_like full_like empty_like
rand_like randn_like randint_like arange linspace eye randn rand randint randperm normal
manual_seed Generator default_generator seed initial_seed get_rng_state set_rng_state
no_grad enable_grad set_grad_enabled inference_mode is_grad_enabled autograd
add sub mul div neg pow matmul mm bmm sum mean var std max min amax amin argmax argmin prod
cumsum logsumexp norm exp log log1p sqrt rsqrt abs sign clamp sin cos tanh sigmoid relu
maximum minimum where reshape flatten squeeze unsqueeze permute transpose t cat stack split
chunk gather scatter_add masked_fill eq ne lt le gt ge
""".split()

AUTOGRAD = "Function backward grad gradcheck no_grad enable_grad set_grad_enabled".split()

TENSOR_ATTRIBUTES = """
shape dtype device ndim dim size numel item tolist numpy detach clone to float double long
int bool requires_grad requires_grad_ grad grad_fn is_leaf retain_grad backward register_hook
is_floating_point data
__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __pow__ __rpow__
__matmul__ __neg__ __iadd__ __isub__ __imul__ __itruediv__ __eq__ __ne__ __lt__ __le__ __gt__
__ge__ __getitem__ __setitem__
matmul mm bmm sum mean var std max min amax amin argmax argmin prod cumsum logsumexp norm exp
log log1p sqrt rsqrt abs sign pow clamp sin cos tanh sigmoid relu maximum minimum reshape view
flatten squeeze unsqueeze permute transpose t T expand repeat contiguous split chunk gather
scatter_add masked_fill add_ mul_ sub_ div_ addcmul_ addcdiv_ copy_ clamp_ uniform_ normal_
fill_ zero_
""".split()

# (module path, names) pairs: later issues append their modules here
# issue 5: optimizers, schedulers, data loading
OPTIM = "Optimizer SGD Adam AdamW RMSprop Adagrad Adamax NAdam lr_scheduler".split()
LR_SCHEDULER = """
LRScheduler LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR ExponentialLR
PolynomialLR CosineAnnealingLR SequentialLR ChainedScheduler ReduceLROnPlateau
CosineAnnealingWarmRestarts OneCycleLR
""".split()
UTILS_DATA = """
Dataset IterableDataset TensorDataset Subset ConcatDataset ChainDataset StackDataset
random_split DataLoader default_collate default_convert get_worker_info Sampler
SequentialSampler RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler
""".split()
# issue 3: Module, Parameter and the containers
NN_CONTAINERS = """
Module Parameter Sequential ModuleList ModuleDict ParameterList ParameterDict
""".split()

# issue 4 (part B): Linear & co, activations, dropout, embedding, init, utils, their functionals
NN_LINEAR = "Identity Linear Bilinear".split()
NN_ACTIVATION = """
ReLU ReLU6 LeakyReLU PReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh Hardtanh Hardsigmoid
Hardswish Softplus Softsign Tanhshrink Threshold Softmax LogSoftmax Softmin Softmax2d LogSigmoid
Softshrink Hardshrink GLU RReLU
""".split()
NN_DROPOUT = "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout".split()
NN_OTHER_LAYERS = "Flatten Unflatten Embedding CosineSimilarity PairwiseDistance".split()
NN_INIT = """
calculate_gain uniform_ normal_ trunc_normal_ constant_ ones_ zeros_ eye_ dirac_ xavier_uniform_
xavier_normal_ kaiming_uniform_ kaiming_normal_ orthogonal_ sparse_
""".split()
NN_UTILS = """
clip_grad_norm_ clip_grad_value_ clip_grads_with_norm_ get_total_norm parameters_to_vector
vector_to_parameters
""".split()
NN_FUNCTIONAL_B = """
linear bilinear relu relu_ relu6 leaky_relu leaky_relu_ prelu elu elu_ selu celu gelu silu mish
sigmoid tanh hardtanh hardtanh_ hardsigmoid hardswish softplus logsigmoid softsign tanhshrink
threshold threshold_ softshrink hardshrink glu softmax log_softmax softmin dropout dropout1d
dropout2d dropout3d alpha_dropout rrelu embedding one_hot normalize cosine_similarity
pairwise_distance
""".split()

# QA items 1, 13, 16, 19, 22, 24, 25: names scripts touch beyond the core
TOP_LEVEL_QA = """
backends accelerator amp autocast testing linalg compile bfloat16 set_num_threads
get_num_threads use_deterministic_algorithms are_deterministic_algorithms_enabled
is_deterministic_algorithms_warn_only_enabled set_float32_matmul_precision
get_float32_matmul_precision sinh cosh tan asin acos atan asinh acosh atanh arcsin arccos arctan
arcsinh arccosh arctanh expm1 median mode quantile bincount isin meshgrid tile diff dist addcmul
addcdiv concat concatenate
""".split()
TENSOR_ATTRIBUTES_QA = """
sinh cosh tan asin acos atan asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh
expm1 median mode quantile bincount tile diff dist byte char short nbytes itemsize
fill_diagonal_ unfold log_ log1p_ sin_ cos_ reciprocal_ square_ floor_ ceil_ trunc_ round_ t_
transpose_ unsqueeze_ squeeze_
""".split()
# more maths and shape helpers (lamina._ops.more_math, more_shape)
TOP_LEVEL_MORE = """
nan_to_num nansum nanmean logaddexp hypot heaviside signbit cummax cummin logcumsumexp
searchsorted bucketize histc tensor_split hsplit vsplit dsplit dstack column_stack atleast_1d
atleast_2d atleast_3d ravel rot90 take_along_dim special erfc erfinv lgamma digamma xlogy i0
logit sinc cross kron block_diag cartesian_prod combinations trapezoid trapz poisson
""".split()
TENSOR_ATTRIBUTES_MORE = """
nan_to_num nansum nanmean logaddexp hypot heaviside signbit cummax cummin logcumsumexp histc
tensor_split hsplit vsplit dsplit ravel rot90 take_along_dim erfc erfinv lgamma digamma xlogy
i0 logit sinc cross kron
""".split()
SPECIAL = """
expit logit erf erfc erfinv gammaln digamma psi xlogy xlog1py log_softmax softmax logsumexp
sinc entr log1p expm1 exp2 ndtr ndtri i0 multigammaln
""".split()
LINALG = "norm vector_norm matrix_norm inv det solve svd svdvals matmul LinAlgError".split()
DISTRIBUTIONS = """
Distribution ExponentialFamily Bernoulli Categorical Normal OneHotCategorical
OneHotCategoricalStraightThrough Uniform Independent Exponential Laplace MultivariateNormal
Beta kl_divergence
register_kl constraints
""".split()

MODULES = [
    ("", TOP_LEVEL),
    ("nn", NN_CONTAINERS),
    ("nn.modules.module", ["Module"]),
    ("nn.modules.container", NN_CONTAINERS[2:]),
    ("nn.parameter", ["Parameter"]),
    ("nn", NN_LINEAR + NN_ACTIVATION + NN_DROPOUT + NN_OTHER_LAYERS),
    ("nn.modules.linear", NN_LINEAR),
    ("nn.modules.activation", NN_ACTIVATION),
    ("nn.modules.dropout", NN_DROPOUT),
    ("nn.modules.flatten", ["Flatten", "Unflatten"]),
    ("nn.modules.sparse", ["Embedding"]),
    ("nn.modules.distance", ["CosineSimilarity", "PairwiseDistance"]),
    ("nn.init", NN_INIT),
    ("nn.utils", NN_UTILS),
    ("nn.functional", NN_FUNCTIONAL_B),
    ("autograd", AUTOGRAD),
    ("optim", OPTIM),
    ("optim.lr_scheduler", LR_SCHEDULER),
    ("utils.data", UTILS_DATA),
    ("", TOP_LEVEL_QA),
    ("", TOP_LEVEL_MORE),
    ("special", SPECIAL),
    ("linalg", LINALG),
    ("backends.cudnn", ["enabled", "benchmark", "deterministic", "allow_tf32", "is_available"]),
    ("backends.mps", ["is_available", "is_built"]),
    ("backends.cuda", ["is_built", "matmul"]),
    ("accelerator", ["is_available", "current_accelerator", "device_count", "synchronize"]),
    ("amp", ["autocast", "GradScaler", "is_autocast_available"]),
    ("testing", ["assert_close"]),
    ("autograd", ["Variable"]),
    ("nn.utils", ["clip_grad_norm"]),
    ("distributions", DISTRIBUTIONS),
    ("distributions.kl", ["kl_divergence", "register_kl"]),
    ("distributions.constraints", ["Constraint", "positive", "real", "simplex", "boolean",
                                   "unit_interval", "interval", "integer_interval",
                                   "positive_definite", "lower_cholesky"]),
    ("distributions.utils", ["broadcast_all", "logits_to_probs", "probs_to_logits",
                             "clamp_probs", "lazy_property"]),
    ("optim", ["RAdam", "Rprop", "Adadelta", "ASGD", "LBFGS"]),
    ("optim.lr_scheduler", ["CyclicLR"]),
    ("", ["det", "logdet", "inverse", "cholesky", "qr", "slogdet", "matrix_power", "pinverse",
          "cholesky_solve"]),
    ("linalg", ["cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "slogdet", "pinv",
                "matrix_rank", "solve_triangular", "lstsq", "cross", "vecdot", "matrix_power",
                "multi_dot", "eig", "eigvals"]),
    ("autograd.functional", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]),
    ("nn.utils.rnn", ["PackedSequence", "pad_sequence", "pack_padded_sequence",
                      "pad_packed_sequence", "pack_sequence", "unpad_sequence",
                      "unpack_sequence", "invert_permutation"]),
    ("nn", ["PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "HingeEmbeddingLoss",
            "MultiMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "CTCLoss"]),
    ("nn.functional", ["poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
                       "hinge_embedding_loss", "multi_margin_loss",
                       "multilabel_soft_margin_loss", "multilabel_margin_loss", "ctc_loss",
                       "gumbel_softmax"]),
]


def _module(library, path):
    return importlib.import_module(f"{library.__name__}.{path}") if path else library


@pytest.mark.parametrize(("path", "names"), MODULES, ids=[m[0] or "lamina" for m in MODULES])
def test_public_names_exist_where_torch_has_them(path, names):
    ours, theirs = _module(lamina, path), _module(torch, path)
    missing = [n for n in names if not hasattr(ours, n)]
    not_torch = [n for n in names if not hasattr(theirs, n)]
    assert not missing, f"lamina.{path} lacks {missing}"
    assert not not_torch, f"torch.{path} has no {not_torch}: not a name we share with torch"


def test_tensor_attributes_exist_like_torch():
    x = lamina.ones(2, 2)
    names = TENSOR_ATTRIBUTES + TENSOR_ATTRIBUTES_QA + TENSOR_ATTRIBUTES_MORE
    missing = [n for n in names if not hasattr(x, n)]
    not_torch = [n for n in names if not hasattr(torch.ones(2, 2), n)]
    assert not missing and not not_torch, (missing, not_torch)


def test_dtype_aliases_are_the_same_objects_like_torch():
    assert lamina.float is lamina.float32 and lamina.double is lamina.float64
    assert lamina.long is lamina.int64 and lamina.int is lamina.int32
    assert lamina.half is lamina.float16
    assert repr(lamina.float32) == "lamina.float32" and repr(lamina.bool) == "lamina.bool"


def test_import_does_not_pull_in_torch():
    import subprocess
    import sys

    code = "import sys, lamina; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
