export default { render({ el }) { el.textContent = "LayerBrowser (placeholder)"; } };
