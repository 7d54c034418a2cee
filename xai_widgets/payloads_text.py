"""Text explanations -> what the TextExplainer's view receives (pure functions, no widgets).

One row per method: the words as written (text, never HTML), their values as a binary
float32 payload, and a caption saying what the values are."""

from __future__ import annotations

import numpy as np

from ._encode import array_payload
from .explainers import get_method
from .payloads import reading, score_word


MEANINGS = {
    "integrated_gradients": "each word's share of the change of the {unit} from the baseline",
    "gradient_x_input": "gradient x embedding of each word, summed over its dimensions",
    "occlusion": "the drop of the {unit} when the word is taken out",
    "kernel_shap": "each word's Shapley value (the values add up to the {unit} minus the "
                   "{unit} with no words)",
}


def text_row(exp, class_names: list[str], index: int = 0) -> dict:
    """One text's explanation as a row of the view: {method, label, words, values (binary
    float32, one per word), signed, vmax, caption, completeness_delta (IG, else None),
    standard_errors (KernelSHAP sampled: binary float32, else None)}."""
    values = np.asarray(exp.attributions[index], np.float32)
    label = get_method(exp.method, "text").label
    target = int(exp.targets[index])
    kind = exp.params.get("score", "")
    what = reading(class_names[target], float(exp.scores[index]), kind, exp.value_kind)
    unit = "value" if exp.value_kind == "value" else score_word(kind)
    meaning = MEANINGS.get(exp.method, "each word's value").format(unit=unit)
    if exp.signed:
        text = f"{label} for {what}: {meaning} (positive raises the {unit}, negative lowers it)"
    else:
        text = f"{label} for {what}: {meaning}, as a norm: how much each word matters (unsigned)"
    delta = None
    if exp.completeness_delta is not None:
        delta = float(exp.completeness_delta[index])
        text += f"; completeness delta {delta:.3g}"
    errors = None
    if exp.standard_errors is not None and not exp.params.get("exact", True):
        errors = array_payload(np.asarray(exp.standard_errors[index], np.float32))
    finite = values[np.isfinite(values)]
    return {
        "method": exp.method,
        "label": label,
        "words": list(exp.tokens[index]),
        "values": array_payload(values),
        "signed": bool(exp.signed),
        "vmax": float(np.abs(finite).max()) if finite.size else 0.0,
        "caption": text,
        "completeness_delta": delta,
        "standard_errors": errors,
        "truncated": int(exp.params.get("truncated_words", [0])[index]),
    }
