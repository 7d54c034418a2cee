"""Text methods: which words made the decision.

Registered with kind ``"text"`` under the image methods' names (``gradient_x_input``,
``integrated_gradients``, ``occlusion``, ``kernel_shap``); ``xw.explain`` picks them for
strings (or a ``vocabulary=``/``tokenizer=`` option). Two kinds of model are accepted:

* a Keras 3 model that takes strings, with a ``TextVectorization`` or ``StringLookup``
  layer inside (before its ``Embedding``);
* a model that takes token ids, with ``vocabulary=`` (a list: id -> token) or
  ``tokenizer=`` (a callable: one word -> its token ids; the pieces of a word, e.g.
  WordPiece's "##ing", are merged back into it).

A text is split into words at whitespace, as written; each word is turned into its token
ids (its pieces) by the model's own lookup layer, the vocabulary or the tokenizer, so every
position of the model's input belongs to one word or is padding. Padding is never shown.

The gradient methods differentiate the class score with respect to the Embedding layer's
output (found automatically, or ``embedding_layer=``): the model's graph is run with the
Embedding's output replaced by the points on the path (the Embedding's mask, if it makes
one, still reaches the layers after it). A position's value is the sum over embedding
dimensions (signed; ``reduce="l2"`` gives the L2 norm, unsigned); a word's value is the sum
over its pieces. The perturbation methods remove a word (its pieces, the rest moving up)
or replace each of its pieces by a token id you choose (or the padding / unknown token).

Every evaluation is batched through one ``tf.function`` per (model, function) traced with a
``None`` batch and length: repeated calls do not retrace.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from .. import _idle
from ..errors import ExplainError
from ..models import (
    _NORMALISING_ACTIVATIONS, _PreActivation, _activation_name, _functional_graph,
    _keras_only_scope, _output_producer, activate, class_names_for, resolve_targets,
)
from .base import Explanation, Option, Runner, register
from .shapley import all_coalitions, exact_shapley, kernel_coalitions, kernel_fit

MODEL_OPTIONS = ("vocabulary", "tokenizer", "embedding_layer", "pad_id")
EXACT_MAX_WORDS = 11
UNKNOWN_TOKENS = ("[UNK]", "<unk>", "<UNK>", "[OOV]", "<oov>", "<OOV>")
REPLACE_CHOICES = ("remove", "pad", "unknown")


# --------------------------------------------------------------------------- result
@dataclasses.dataclass
class TextExplanation(Explanation):
    """An :class:`Explanation` of texts.

    ``tokens``: one list of words per text, as written (split at whitespace; words past the
    model's sequence length are left out, see ``params["truncated_words"]``).
    ``attributions``: one float32 array per text, one value per word (padding never shown).
    ``texts``: the texts explained. ``inputs``: the (N, L) int32 token ids the model saw.
    ``outputs``: (N, K) what the model outputs (probabilities when it ends in softmax or
    sigmoid, else its scores), ``value_kind`` says which; ``standard_errors`` (KernelSHAP):
    one array per text, zeros when exact.
    """

    tokens: list = None
    texts: list = None
    outputs: np.ndarray = None
    value_kind: str = "score"
    standard_errors: list = None

    def __repr__(self) -> str:
        extra = ""
        if self.completeness_delta is not None:
            extra = f", max |completeness delta|={np.abs(self.completeness_delta).max():.3g}"
        words = [len(t) for t in self.tokens]
        return (f"TextExplanation(method={self.method!r}, n={len(self.targets)}, "
                f"targets={self.targets.tolist()}, words={words}, signed={self.signed}, "
                f"seconds={self.seconds:.3f}{extra})")

    def top_words(self, i: int = 0, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` words of text ``i`` with the largest |value|, largest first."""
        values = self.attributions[i]
        order = np.argsort(-np.abs(values), kind="stable")[:k]
        return [(self.tokens[i][j], float(values[j])) for j in order]

    def plot(self, class_names=None, max_images: int = 8, cmap=None, alpha: float = 0.6):
        """A static matplotlib figure: the first ``max_images`` texts, each word coloured by
        its value, with captions and colorbars (``cmap``: a colormap name of the overlay
        rule; ``alpha`` is unused: words are not drawn over an image)."""
        from ..plotting_text import text_figure

        names = class_names or [str(k) for k in range(int(self.outputs.shape[1]))]
        if len(self.outputs.shape) == 2 and self.outputs.shape[1] == 1 and len(names) == 2:
            names = names[1:]
        n = min(len(self.tokens), max_images)
        return text_figure([(self, i) for i in range(n)], names, colormap=cmap or "auto")


# --------------------------------------------------------------------------- the model
@dataclasses.dataclass
class TextBatch:
    """Texts turned into what the model sees, and back.

    ``words[i]``: the words of text i, as written; ``pieces[i][j]``: word j's token ids;
    ``ids``: (N, L) int32, padded with ``pad_id``; ``owner``: (N, L) the word each position
    belongs to (-1 for padding)."""

    texts: list
    words: list
    pieces: list
    ids: np.ndarray
    owner: np.ndarray
    truncated: list


def _is(layer, name: str) -> bool:
    return type(layer).__name__ == name


class TextModel:
    """A Keras text classifier split at its Embedding layer (see the module docstring)."""

    def __init__(self, model, output="logit", head=None, embedding_layer=None,
                 vocabulary=None, tokenizer=None, pad_id=None):
        import keras

        if not isinstance(model, keras.Model):
            raise ExplainError(f"expected a keras.Model, got {type(model).__name__}.")
        if output == "logits":
            output = "logit"
        if output not in ("logit", "probability"):
            raise ExplainError(f"unknown output={output!r}; valid values: 'logit' or "
                               "'probability'.")
        if head not in (None, 0):
            raise ExplainError("text models are explained through their one output; head= "
                               "is for models with several outputs.")
        self.model, self.output = model, output
        self.graph = _functional_graph(model)
        if self.graph is None:
            raise ExplainError(f"{type(model).__name__} is a subclassed or unbuilt model; "
                               "build it with the Sequential or functional API (keras.Input).")
        if len(self.graph.outputs) != 1 or len(self.graph.inputs) != 1:
            raise ExplainError("text models must have one input and one output.")
        self.embedding, self.node = self._find_embedding(embedding_layer)
        self.upstream = self._upstream_ops()
        self.lookup = next((op for op in self.upstream
                            if _is(op, "TextVectorization") or _is(op, "StringLookup")), None)
        self._setup_tokens(vocabulary, tokenizer, pad_id)
        head_op = _output_producer(self.graph, 0)
        act = _activation_name(head_op) if head_op is not None else None
        self.final_activation = act
        self._strip = None
        if act in _NORMALISING_ACTIVATIONS and output == "logit":
            self._strip = (head_op, _PreActivation(head_op))
            self.score_kind = f"logit (before {act})"
        else:
            self.score_kind = "probability" if act else "output"
        self.num_classes = int(self.graph.outputs[0].shape[-1] or 1)
        self.value_kind = ("probability" if act else
                           "value" if self.num_classes == 1 else "score")
        self.functions = {}

    # ------------------------------------------------------------- structure
    def _find_embedding(self, name):
        nodes = [n for depth in sorted(self.graph._nodes_by_depth) for n in
                 self.graph._nodes_by_depth[depth] if n.operation is not None]
        embeddings = [n for n in nodes if _is(n.operation, "Embedding")]
        if name is not None:
            found = [n for n in nodes if getattr(n.operation, "name", None) == name]
            if not found:
                raise ExplainError(f"embedding_layer={name!r} is not a layer of the model; its "
                                   f"Embedding layers: {[n.operation.name for n in embeddings]}.")
            node = found[0]
        elif not embeddings:
            nested = [n.operation.name for n in nodes if hasattr(n.operation, "layers")]
            hint = (f" (nested models {nested} are not searched: pass the inner model)"
                    if nested else "")
            raise ExplainError("the model has no Embedding layer" + hint + "; text methods "
                               "differentiate with respect to an Embedding's output. Pass "
                               "embedding_layer='<name>' for another layer that makes the "
                               "token vectors.")
        else:
            node = embeddings[-1]  # the deepest is the first one after the input
            if len(embeddings) > 1:
                raise ExplainError(
                    f"the model has {len(embeddings)} Embedding layers "
                    f"{[n.operation.name for n in embeddings]}; say which one makes the word "
                    "vectors with embedding_layer='<name>'.")
        return node.operation, node

    def _upstream_ops(self) -> list:
        """The operations between the model's input and the Embedding (a TextVectorization
        or StringLookup): they are skipped; the Embedding gets our token ids instead."""
        seen, order, stack = set(), [], list(self.node.input_tensors)
        while stack:
            history = getattr(stack.pop(), "_keras_history", None)
            if history is None or id(history.operation) in seen:
                continue
            op = history.operation
            seen.add(id(op))
            order.append(op)
            node = op._inbound_nodes[history.node_index]
            stack.extend(node.input_tensors)
        return order

    def _setup_tokens(self, vocabulary, tokenizer, pad_id):
        dtype = str(self.graph.inputs[0].dtype)
        shape = tuple(self.graph.inputs[0].shape[1:])
        takes_strings = "string" in dtype
        self.tokenizer = tokenizer
        self.vocabulary = None if vocabulary is None else [str(v) for v in vocabulary]
        if tokenizer is not None and not callable(tokenizer):
            raise ExplainError("tokenizer= must be a callable: one word -> its token ids.")
        if takes_strings:
            if self.lookup is None:
                raise ExplainError("the model takes strings but has no TextVectorization or "
                                   "StringLookup layer before its Embedding; pass a model "
                                   "that takes token ids with vocabulary= or tokenizer=.")
            if vocabulary is not None or tokenizer is not None:
                raise ExplainError("the model takes strings and turns them into token ids "
                                   "itself; vocabulary= and tokenizer= are for models that "
                                   "take token ids.")
            config = self.lookup.get_config()
            if _is(self.lookup, "TextVectorization"):
                if config.get("output_mode") != "int":
                    raise ExplainError("the TextVectorization layer must have output_mode="
                                       "'int' (token ids for an Embedding).")
                if config.get("split") != "whitespace" or config.get("ngrams"):
                    raise ExplainError("the TextVectorization layer must split at whitespace, "
                                       "without ngrams, so that each word has its token ids.")
                self.seq_len = config.get("output_sequence_length")
                self.pad = 0
                self.unknown = 1
            else:
                self.seq_len = shape[0] if len(shape) == 1 else None
                vocab = self.lookup.get_vocabulary()
                self.unknown = self._lookup_ids([vocab[0] if config.get("mask_token") is None
                                                 else "\0unknown\0"])[0]
                if config.get("mask_token") is not None:
                    self.pad = 0
                else:
                    self.pad = int(self._lookup_ids([""])[0])
            if pad_id is not None:
                self.pad = int(pad_id)
        else:
            if "int" not in dtype and "float" not in dtype:
                raise ExplainError(f"the model's input has dtype {dtype}; text models take "
                                   "strings or token ids.")
            if vocabulary is None and tokenizer is None:
                raise ExplainError("the model takes token ids: pass vocabulary= (a list, "
                                   "token id -> token) or tokenizer= (a callable, one word "
                                   "-> its token ids) so that words can be turned into ids.")
            self.seq_len = shape[0] if len(shape) == 1 else None
            self.pad = 0 if pad_id is None else int(pad_id)
            self.unknown = 1
            if self.vocabulary is not None:
                self._index = {}
                for i, token in enumerate(self.vocabulary):
                    self._index.setdefault(token, i)
                self.unknown = next((self._index[t] for t in UNKNOWN_TOKENS if t in self._index),
                                    1)
        self.takes_strings = takes_strings
        self.input_dim = int(self.embedding.input_dim)
        if not 0 <= self.pad < self.input_dim:
            raise ExplainError(f"pad_id={self.pad} is not a token id of the Embedding "
                               f"(0..{self.input_dim - 1}).")

    def _lookup_ids(self, words: list[str]) -> list[int]:
        import tensorflow as tf

        return [int(v) for v in np.asarray(self.lookup(tf.constant(words))).ravel()]

    # ------------------------------------------------------------- tokens
    def word_pieces(self, words: list[str]) -> list[np.ndarray]:
        """Each word's token ids (several for subword tokenizers, none for a word the
        model's standardisation removes, e.g. a lone dash)."""
        if not words:
            return []
        if self.takes_strings:
            import tensorflow as tf

            if _is(self.lookup, "TextVectorization"):
                out = np.asarray(self.lookup(tf.constant(words)))
                if out.ndim == 1:
                    out = out[:, None]
                return [row[row != 0].astype(np.int32) for row in out]
            return [np.array([i], np.int32) for i in self._lookup_ids(words)]
        if self.tokenizer is not None:
            pieces = []
            for word in words:
                ids = np.asarray(self.tokenizer(word)).ravel()
                if ids.dtype.kind not in "iu":
                    raise ExplainError(f"tokenizer({word!r}) returned {ids.dtype} values; it "
                                       "must return the word's token ids (integers).")
                pieces.append(ids[ids != self.pad].astype(np.int32))
            return pieces
        out = []
        for word in words:
            i = self._index.get(word)
            if i is None:
                i = self._index.get(word.lower(), self.unknown)
            out.append(np.array([i], np.int32))
        return out

    def encode(self, inputs) -> TextBatch:
        """Texts -> a TextBatch; a clear ExplainError for anything that is not text."""
        if isinstance(inputs, str):
            texts = [inputs]
        elif isinstance(inputs, np.ndarray) and inputs.dtype.kind in "USO" and inputs.ndim <= 1:
            texts = [str(t) for t in np.atleast_1d(inputs)]
        elif isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs):
            texts = list(inputs)
        else:
            raise ExplainError("text methods take a string or a list of strings; got "
                               f"{type(inputs).__name__}.")
        if not texts:
            raise ExplainError("inputs are an empty list; pass at least one text.")
        words = [t.split() for t in texts]
        empty = [i for i, w in enumerate(words) if not w]
        if empty:
            raise ExplainError(f"text {empty[0]} has no words; every text needs at least one.")
        flat = self.word_pieces([w for ws in words for w in ws])
        pieces, truncated, at = [], [], 0
        for ws in words:
            own = flat[at: at + len(ws)]
            at += len(ws)
            if self.seq_len is not None:
                used, kept = 0, 0
                for p in own:
                    if used + len(p) > self.seq_len:
                        break
                    used += len(p)
                    kept += 1
                truncated.append(len(own) - kept)
                own = own[:kept]
            else:
                truncated.append(0)
            pieces.append(own)
        words = [ws[: len(p)] for ws, p in zip(words, pieces)]
        if any(not w for w in words):
            raise ExplainError("the first word of a text is longer than the model's sequence "
                               f"length ({self.seq_len} tokens).")
        ids, owner = self.pack(pieces)
        if not any(o.max() >= 0 for o in owner):
            raise ExplainError("no word of the texts is in the model's vocabulary.")
        return TextBatch(texts, words, pieces, ids, owner, truncated)

    def pack(self, rows: list[list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of word pieces -> (ids (R, L) padded, owner (R, L) word index or -1)."""
        lengths = [sum(len(p) for p in row) for row in rows]
        length = self.seq_len or max(1, max(lengths))
        ids = np.full((len(rows), length), self.pad, np.int32)
        owner = np.full((len(rows), length), -1, np.int32)
        for r, row in enumerate(rows):
            at = 0
            for j, p in enumerate(row):
                ids[r, at: at + len(p)] = p
                owner[r, at: at + len(p)] = j
                at += len(p)
        return ids, owner

    # ------------------------------------------------------------- compute
    def forward(self, e, ids):
        """Scores (R, K) of the model with the Embedding's output replaced by ``e``."""
        import keras

        mask = self.embedding.compute_mask(ids)
        if mask is not None:
            keras.src.backend.set_keras_mask(e, mask)
        upstream = {id(op) for op in self.upstream}
        strip_op, strip = self._strip or (None, None)

        def operation_fn(op):
            def call(*args, **kwargs):
                if id(op) in upstream:
                    return ids  # skipped: the Embedding gets our ids' vectors instead
                if op is self.embedding:
                    return e
                if "training" in getattr(op, "_call_context_args", ()):
                    kwargs["training"] = False
                if op is strip_op:
                    return strip(*args, **kwargs)
                with _keras_only_scope(op):
                    return op(*args, **kwargs)
            return call

        out = self.graph._run_through_graph([ids], operation_fn=operation_fn)
        if isinstance(out, (list, tuple)):
            out = out[0]
        import tensorflow as tf

        return tf.reshape(tf.cast(out, tf.float32), (tf.shape(ids)[0], -1))

    def _function(self, key, build):
        fn = self.functions.get(key)
        if fn is None:
            fn = self.functions[key] = build()
        return fn

    def _ids_spec(self):
        import tensorflow as tf

        return tf.TensorSpec((None, self.seq_len), tf.int32)

    def embed(self, ids: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        def build():
            return tf.function(lambda i: tf.cast(self.embedding(i), tf.float32),
                               input_signature=[self._ids_spec()], autograph=False)

        return self._function("embed", build)(ids).numpy()

    def scores(self, ids: np.ndarray, runner: Runner | None = None,
               batch_size: int = 256) -> np.ndarray:
        """(R, K) explained scores of token-id rows, batched."""
        import tensorflow as tf

        def build():
            def scores_fn(i):
                return self.forward(tf.cast(self.embedding(i), tf.float32), i)

            return tf.function(scores_fn, input_signature=[self._ids_spec()],
                               autograph=False)

        fn = self._function("scores", build)
        out = np.empty((len(ids), self.num_classes), np.float32)
        chunks = (runner.chunks(len(ids)) if runner is not None else
                  ((s, min(s + batch_size, len(ids))) for s in range(0, len(ids), batch_size)))
        for start, stop in chunks:
            out[start:stop] = fn(ids[start:stop]).numpy().reshape(stop - start, -1)
        return out

    def path_gradients(self, e_x, e_base, alphas, ids, targets):
        """For each row: the gradient of the target score at ``base + alpha (x - base)``
        times ``(x - base)``, (R, L, D), and the row's score (R,)."""
        import tensorflow as tf

        def build():
            dim = int(self.embedding.output_dim)
            points = tf.TensorSpec((None, self.seq_len, dim), tf.float32)

            def path_gradients(xe, be, a, i, t):
                with tf.GradientTape(watch_accessed_variables=False) as tape:
                    point = be + a[:, None, None] * (xe - be)
                    tape.watch(point)
                    out = self.forward(point, i)
                    score = tf.gather(out, t, axis=1, batch_dims=1)
                grad = tape.gradient(score, point)
                if grad is None:
                    raise ExplainError("the model's output has no gradient with respect to "
                                       "the Embedding's output.")
                return grad * (xe - be), score

            return tf.function(path_gradients, input_signature=[
                points, points, tf.TensorSpec((None,), tf.float32), self._ids_spec(),
                tf.TensorSpec((None,), tf.int32)], autograph=False)

        fn = self._function("path_gradients", build)
        g, s = fn(e_x, e_base, alphas, ids, targets)
        return g.numpy(), s.numpy()

    def to_outputs(self, scores: np.ndarray) -> np.ndarray:
        return scores if self._strip is None else activate(scores, self.final_activation)

    def class_names(self, names=None) -> list[str]:
        return class_names_for(names, self.num_classes, self.final_activation,
                               "value" if self.value_kind == "value" else None)

    def resolve_targets(self, target, n: int, logits: np.ndarray) -> np.ndarray:
        return resolve_targets(target, n, self.num_classes, logits, unit="text")

    def replacement(self, replace) -> np.ndarray | None:
        """The token id a missing word's pieces become, or None for "remove"."""
        if replace == "remove":
            return None
        if replace == "pad":
            return np.int32(self.pad)
        if replace == "unknown":
            return np.int32(self.unknown)
        value = int(replace)
        if not 0 <= value < self.input_dim:
            raise ExplainError(f"token id {value} is not in the Embedding's range "
                               f"0..{self.input_dim - 1}.")
        return np.int32(value)

    def coalitions(self, pieces: list[np.ndarray], present: np.ndarray, fill) -> np.ndarray:
        """(C, L) ids of one text with the words where ``present`` (C, W) is False removed
        (``fill`` None) or their pieces replaced by ``fill``."""
        rows = []
        for keep in present:
            if fill is None:
                rows.append([p for p, k in zip(pieces, keep) if k])
            else:
                rows.append([p if k else np.full(len(p), fill, np.int32)
                             for p, k in zip(pieces, keep)])
        ids, _ = self.pack(rows)
        return ids


_TEXT_MODELS = "_xai_widgets_text_models"


def text_model(model, output="logit", head=None, embedding_layer=None, vocabulary=None,
               tokenizer=None, pad_id=None) -> TextModel:
    """The TextModel of ``model`` (kept on the model, so its compiled functions are reused
    while the same options are given)."""
    if isinstance(model, TextModel):
        return model
    key = (output, head, embedding_layer, id(vocabulary), id(tokenizer), pad_id)
    store = getattr(model, "__dict__", {}).get(_TEXT_MODELS)
    if store is None:
        store = {}
        try:
            object.__setattr__(model, _TEXT_MODELS, store)
        except (AttributeError, TypeError):
            pass
    found = store.get(key)
    if found is None or found.vocabulary_source is not vocabulary:
        found = TextModel(model, output, head, embedding_layer, vocabulary, tokenizer, pad_id)
        found.vocabulary_source = vocabulary
        store.clear()  # one set of options at a time: a new vocabulary list is a new model
        store[key] = found
    return found


# --------------------------------------------------------------------------- running
def run_text_method(spec, model, inputs, targets=None, *, output="logit", head=None,
                    progress=None, cancel=None, **opts) -> TextExplanation:
    """The runner of the text registrations: texts in, one value per word out. Everything
    is checked (model, options, texts, targets) before any computation."""
    model_opts = {k: opts.pop(k) for k in MODEL_OPTIONS if k in opts}
    options = spec.resolve_options(opts)
    tm = text_model(model, output=output, head=head, **model_opts)
    with _idle.computing():
        batch = tm.encode(inputs)
        if isinstance(targets, (list, tuple)) and targets and isinstance(targets[0], str):
            raise ExplainError("target must be class indices, not names.")
        runner = Runner(options.pop("batch_size"), progress, cancel)
        logits = tm.scores(batch.ids)
        targets = tm.resolve_targets(targets, len(batch.texts), logits)
        runner.logits = logits
        start = time.perf_counter()
        result = spec.compute(tm, batch, targets, runner, **options)
        seconds = time.perf_counter() - start
    scores = logits[np.arange(len(targets)), targets].astype(np.float32)
    params = {**options, **result.pop("params", {}), "batch_size": runner.batch_size,
              "output": tm.output, "head": None, "score": tm.score_kind,
              "embedding_layer": tm.embedding.name, "pad_id": tm.pad,
              "truncated_words": list(batch.truncated)}
    return TextExplanation(
        method=spec.name, params=params, inputs=batch.ids, targets=targets, scores=scores,
        heatmaps=None, signed=result.pop("signed", spec.signed), seconds=seconds,
        tokens=[list(w) for w in batch.words], texts=list(batch.texts),
        outputs=tm.to_outputs(logits).astype(np.float32), value_kind=tm.value_kind, **result)


def per_word(values: np.ndarray, owner: np.ndarray, n_words: int) -> np.ndarray:
    """Position values (L,) -> word values (n_words,): pieces summed, padding dropped."""
    out = np.zeros(n_words, np.float64)
    keep = owner >= 0
    np.add.at(out, owner[keep], values[keep])
    return out.astype(np.float32)


def _reduce(contributions: np.ndarray, reduce: str) -> np.ndarray:
    """(..., L, D) -> (..., L): signed sum, or the L2 norm."""
    if reduce == "sum":
        return contributions.sum(axis=-1)
    return np.sqrt((contributions.astype(np.float64) ** 2).sum(axis=-1))


REDUCE = Option("reduce", "sum", "a word's value from its embedding dimensions: 'sum' "
                "(signed) or 'l2' (the norm, unsigned)", "choice", choices=("sum", "l2"))
REPLACE_DOC = ("'remove' (the word is taken out), 'pad' or 'unknown' (each of its pieces "
               "becomes the padding or unknown token) or a token id")


def _path(tm: TextModel, batch: TextBatch, targets, runner, alphas, weights, baselines):
    """sum_k w_k grad(b + a_k (x - b)) (x - b): (N, L, D), rows of all texts packed into
    chunks of ``batch_size`` evaluations; also the scores at each node (N, steps)."""
    e_x = tm.embed(batch.ids)
    n, steps = len(e_x), len(alphas)
    total = np.zeros(e_x.shape, np.float64)
    node_scores = np.zeros((n, steps), np.float32)
    which = np.repeat(np.arange(n), steps)
    node = np.tile(np.arange(steps), n)
    runner.plan(n * steps)
    for start, stop in runner.chunks(n * steps):
        w, k = which[start:stop], node[start:stop]
        g, s = tm.path_gradients(e_x[w], baselines[w], alphas[k], batch.ids[w], targets[w])
        np.add.at(total, w, g * weights[k][:, None, None])
        node_scores[w, k] = s
    return total, node_scores


@register(
    "gradient_x_input", "Gradient x input (embeddings)",
    "gradient of the class score with respect to each word's embedding, times the "
    "embedding, summed over its dimensions (and over a word's pieces)",
    signed=True, options=(REDUCE,), inputs=("text",), run=run_text_method)
def gradient_x_input(tm, batch, targets, runner, reduce):
    e_x = tm.embed(batch.ids)
    contributions = np.zeros(e_x.shape, np.float32)
    runner.plan(len(e_x))
    for start, stop in runner.chunks(len(e_x)):
        g, _ = tm.path_gradients(e_x[start:stop], np.zeros_like(e_x[start:stop]),
                                 np.ones(stop - start, np.float32), batch.ids[start:stop],
                                 targets[start:stop])
        contributions[start:stop] = g
    values = _reduce(contributions, reduce)
    return {"attributions": [per_word(v, o, len(w)) for v, o, w in
                             zip(values, batch.owner, batch.words)],
            "signed": reduce == "sum"}


def _quadrature(rule, steps):
    from .gradients import quadrature

    return quadrature(rule, steps)


@register(
    "integrated_gradients", "Integrated gradients (embeddings)",
    "(e - e') times the gradient averaged along the straight path from a baseline "
    "embedding e' to the words' embeddings e, for the target class fixed along the path; "
    "the values add up to f(x) - f(baseline) (completeness delta reported)",
    signed=True,
    options=(
        Option("steps", 32, "points on the path", "integer", minimum=1, maximum=4096),
        Option("baseline", "zeros", "'zeros' (the zero embedding) or 'pad' (the padding "
               "token's embedding) at every word's position", "choice",
               choices=("zeros", "pad")),
        Option("rule", "gauss_legendre", "quadrature rule along the path", "choice",
               choices=("gauss_legendre", "trapezoid", "midpoint", "left")),
        REDUCE,
    ), inputs=("text",), run=run_text_method)
def integrated_gradients(tm, batch, targets, runner, steps, baseline, rule, reduce):
    alphas, weights = _quadrature(rule, steps)
    e_x = tm.embed(batch.ids)
    # padding positions keep their own embedding: they are not on the path (value 0)
    words = (batch.owner >= 0)[..., None]
    if baseline == "zeros":
        base = np.where(words, 0.0, e_x).astype(np.float32)
    else:
        pad_vector = tm.embed(np.full((1, batch.ids.shape[1]), tm.pad, np.int32))[0, :1]
        base = np.where(words, pad_vector[None], e_x).astype(np.float32)
    total, _ = _path(tm, batch, targets, runner, alphas, weights, base)
    # f(baseline): the baseline's own forward pass (with the texts' ids, so masks match)
    f_base = _scores_at(tm, base, batch.ids, targets)
    values = _reduce(total, "sum")
    attributions = [per_word(v, o, len(w)) for v, o, w in
                    zip(values, batch.owner, batch.words)]
    f_x = runner.logits[np.arange(len(targets)), targets]
    delta = np.array([a.astype(np.float64).sum() for a in attributions]) - (f_x - f_base)
    if reduce == "l2":
        attributions = [per_word(v, o, len(w)) for v, o, w in
                        zip(_reduce(total, "l2"), batch.owner, batch.words)]
    return {"attributions": attributions, "signed": reduce == "sum",
            "completeness_delta": delta.astype(np.float32),
            "baselines": base,
            "params": {"baseline_scores": f_base.astype(np.float32)}}


def _scores_at(tm, e, ids, targets) -> np.ndarray:
    _, s = tm.path_gradients(e, e, np.ones(len(e), np.float32), ids, targets)
    return s.astype(np.float64)


@register(
    "occlusion", "Occlusion (words)",
    "drop of the class score when a word is removed (or its pieces replaced by a token): "
    "f(text) - f(text without the word), exact, batched",
    signed=True,
    options=(Option("replace", "remove", REPLACE_DOC, ("choice", "integer"),
                    choices=REPLACE_CHOICES),),
    inputs=("text",), run=run_text_method)
def occlusion(tm, batch, targets, runner, replace):
    fill = tm.replacement(replace)
    rows, index = [], []
    for i, pieces in enumerate(batch.pieces):
        present = ~np.eye(len(pieces), dtype=bool)
        rows.append(tm.coalitions(pieces, present, fill))
        index.append(np.full(len(pieces), i))
    ids = np.concatenate(rows)
    index = np.concatenate(index)
    runner.plan(len(ids))
    scores = tm.scores(ids, runner)[np.arange(len(ids)), targets[index]]
    f_x = runner.logits[np.arange(len(targets)), targets]
    drops = f_x[index] - scores
    out, at = [], 0
    for pieces in batch.pieces:
        out.append(drops[at: at + len(pieces)].astype(np.float32))
        at += len(pieces)
    return {"attributions": out}


@register(
    "kernel_shap", "KernelSHAP (words)",
    "each word's Shapley value for the class score, a missing word removed (or masked); "
    "exact by enumeration up to 11 words, sampled (seeded, with standard errors) beyond. "
    "The values add up to f(text) - f(no words)",
    signed=True,
    options=(
        Option("missing", "remove", "a missing word: " + REPLACE_DOC, ("choice", "integer"),
               choices=REPLACE_CHOICES),
        Option("samples", 2048, "coalitions sampled when there are more than 11 words",
               "integer", minimum=2),
        Option("seed", 0, "random seed of the sampled coalitions", "integer", minimum=0),
    ), inputs=("text",), run=run_text_method)
def kernel_shap(tm, batch, targets, runner, missing, samples, seed):
    fill = tm.replacement(missing)
    out, errors, bases, exact_all = [], [], [], True
    for i, pieces in enumerate(batch.pieces):
        # words the model never sees (no pieces) are not players: their value is 0
        players = [j for j, p in enumerate(pieces) if len(p)]
        n = len(players)
        phi_words = np.zeros(len(pieces), np.float64)
        error_words = np.zeros(len(pieces), np.float64)

        def value(masks):  # masks (C, n) over players -> v (C,)
            present = np.ones((len(masks), len(pieces)), bool)
            present[:, players] = masks
            ids = tm.coalitions(pieces, present, fill)
            runner.plan(len(ids))
            return tm.scores(ids, runner)[:, targets[i]].astype(np.float64)

        if n <= EXACT_MAX_WORDS:
            v = value(all_coalitions(n))
            phi, base = exact_shapley(v, n), v[0]
        else:
            exact_all = False
            masks = kernel_coalitions(n, samples, seed)
            ends = np.array([np.zeros(n, bool), np.ones(n, bool)])
            v = value(np.concatenate([ends, masks]))
            base = v[0]
            phi, error_words[players] = kernel_fit(masks, v[2:], v[0], v[1], seed)
        phi_words[players] = phi
        out.append(phi_words.astype(np.float32))
        errors.append(error_words.astype(np.float32))
        bases.append(float(base))
    return {"attributions": out, "standard_errors": errors,
            "params": {"exact": exact_all, "base_values": bases}}
