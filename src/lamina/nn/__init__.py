"""lamina.nn: modules, containers, layers and losses with torch.nn's names."""

# One import per file under modules/, kept in ruff's sorted order; add yours with a new file.
from lamina.nn import functional, init, utils  # noqa: F401,E402
from lamina.nn.modules.activation import (  # noqa: F401,E402
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from lamina.nn.modules.attention import MultiheadAttention  # noqa: F401,E402
from lamina.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401,E402
from lamina.nn.modules.container import (  # noqa: F401
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from lamina.nn.modules.conv import (  # noqa: F401,E402
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
)
from lamina.nn.modules.distance import CosineSimilarity, PairwiseDistance  # noqa: F401,E402
from lamina.nn.modules.dropout import (  # noqa: F401,E402
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
)
from lamina.nn.modules.embedding_bag import EmbeddingBag  # noqa: F401,E402
from lamina.nn.modules.flatten import Flatten, Unflatten  # noqa: F401,E402
from lamina.nn.modules.instancenorm import InstanceNorm2d  # noqa: F401,E402
from lamina.nn.modules.lazy import (  # noqa: F401,E402
    LazyBatchNorm1d,
    LazyBatchNorm2d,
    LazyConv1d,
    LazyConv2d,
    LazyLinear,
    UninitializedBuffer,
    UninitializedParameter,
)
from lamina.nn.modules.linear import Bilinear, Identity, Linear  # noqa: F401,E402
from lamina.nn.modules.loss import (  # noqa: F401,E402
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from lamina.nn.modules.loss_extra import (  # noqa: F401,E402
    CTCLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
)
from lamina.nn.modules.misc import ChannelShuffle, Fold, Unfold  # noqa: F401,E402
from lamina.nn.modules.module import Module  # noqa: F401
from lamina.nn.modules.norm_extra import (  # noqa: F401,E402
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm3d,
    LocalResponseNorm,
    RMSNorm,
)
from lamina.nn.modules.normalization import GroupNorm, LayerNorm  # noqa: F401,E402
from lamina.nn.modules.padding import (  # noqa: F401,E402
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from lamina.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401,E402
from lamina.nn.modules.pooling import (  # noqa: F401,E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from lamina.nn.modules.rnn import (  # noqa: F401,E402
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
from lamina.nn.modules.sparse import Embedding  # noqa: F401,E402
from lamina.nn.modules.transformer import (  # noqa: F401,E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from lamina.nn.modules.upsampling import (  # noqa: F401,E402
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from lamina.nn.parameter import Parameter  # noqa: F401
