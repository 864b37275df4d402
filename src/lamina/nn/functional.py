"""lamina.nn.functional: the maths behind every layer, callable on its own like torch's F.

Each family lives in its own private module; this file only re-exports them.
"""
from lamina.nn._functional.activation import (  # noqa: F401,E402
    celu,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from lamina.nn._functional.attention import (  # noqa: F401,E402
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from lamina.nn._functional.conv import (  # noqa: F401,E402
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
)
from lamina.nn._functional.distance import (  # noqa: F401,E402
    cosine_similarity,
    normalize,
    pairwise_distance,
)
from lamina.nn._functional.dropout import (  # noqa: F401,E402
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
)
from lamina.nn._functional.embedding_bag import embedding_bag  # noqa: F401,E402
from lamina.nn._functional.fold import (  # noqa: F401,E402
    channel_shuffle,
    fold,
    native_channel_shuffle,
    unfold,
)
from lamina.nn._functional.linear import bilinear, linear  # noqa: F401,E402
from lamina.nn._functional.loss import (  # noqa: F401,E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)
from lamina.nn._functional.loss_extra import (  # noqa: F401,E402
    ctc_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
)
from lamina.nn._functional.norm_extra import local_response_norm, rms_norm  # noqa: F401,E402
from lamina.nn._functional.normalization import (  # noqa: F401,E402
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
)
from lamina.nn._functional.pool import (  # noqa: F401,E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from lamina.nn._functional.sampling import gumbel_softmax  # noqa: F401,E402
from lamina.nn._functional.sparse import embedding, one_hot  # noqa: F401,E402
