// A strip of the batch's images; clicking one asks for that image.
import { h, replaceChildren } from "../common/dom.js";
import { pngURL } from "../common/png.js";

/** {el, render(images, index), mark(index), destroy}; pick(i) when a thumbnail is clicked. */
export function thumbnails(pick) {
  const el = h("div", { class: "xw-thumbs", dataset: { testid: "thumbs" } });
  let urls = [];
  const revoke = () => urls.splice(0).forEach((u) => URL.revokeObjectURL(u));
  const mark = (index) => {
    for (const img of el.children) img.classList.toggle("xw-active", img.dataset.index === String(index));
  };
  return {
    el,
    render(images, index) {
      revoke();
      replaceChildren(el, images.length > 1 ? images.map((bytes, i) => {
        const url = pngURL(bytes);
        urls.push(url);
        return h("img", { src: url, alt: `image ${i}`, class: "xw-thumb", title: `image ${i}`,
          dataset: { testid: "thumb", index: String(i) }, on: { click: () => pick(i) } });
      }) : []);
      mark(index);
    },
    mark,
    destroy: revoke,
  };
}
