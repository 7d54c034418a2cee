// Confusion matrices, shared by the FeatureImportance's errors panel and the DatasetExplorer.

/** Each count divided by its row's total (the true class's size): the share of each true
 *  class's rows in each cell, 0 for an empty row. `counts` is k*k, row = true class. */
export function rowShares(counts, k) {
  const shares = new Float64Array(k * k);
  for (let t = 0; t < k; t++) {
    let total = 0;
    for (let p = 0; p < k; p++) total += counts[t * k + p];
    for (let p = 0; p < k; p++) shares[t * k + p] = total ? counts[t * k + p] / total : 0;
  }
  return shares;
}
