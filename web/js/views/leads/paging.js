// Cursor paging of the leads table: Next pushes the API's `next_cursor` on a stack, Previous goes back
// one; the page size (`limit`) comes from and goes to the URL.

import { field, h, select } from "../../dom.js";

const PAGE_SIZES = [25, 50, 100];
const DEFAULT_PAGE_SIZE = 50;

/**
 * The pager (`root`, a <nav>) and where the table is: `limit` and `cursor` for the list query.
 * `onPage()` after Previous or Next, `onPageSize()` after a change of page size (back to page 1).
 */
export class Pager {
  constructor(params, { onPage, onPageSize }) {
    this.pageSize = PAGE_SIZES.includes(Number(params.get("limit"))) ? Number(params.get("limit")) : DEFAULT_PAGE_SIZE;
    this.cursors = [null]; // cursors[i] fetches page i; Previous pops back to the one before
    this.pageIndex = 0;
    this.nextCursor = null;

    this.previousButton = h("button", { type: "button", class: "button", disabled: true }, "Previous");
    this.nextButton = h("button", { type: "button", class: "button", disabled: true }, "Next");
    this.previousButton.addEventListener("click", () => this.go(-1, onPage));
    this.nextButton.addEventListener("click", () => this.go(1, onPage));
    this.pageLabel = h("span", { class: "page-label", "aria-live": "polite" });
    const sizeSelect = select(PAGE_SIZES.map((n) => [String(n), String(n)]), { value: String(this.pageSize) });
    sizeSelect.addEventListener("change", () => {
      this.pageSize = Number(sizeSelect.value);
      this.reset();
      onPageSize();
    });
    this.root = h("nav", { class: "pager", "aria-label": "Pages of leads" }, this.previousButton, this.pageLabel, this.nextButton,
      field("Leads per page", sizeSelect, { className: "field field-inline" }));
  }

  /** The cursor of the current page (`null` for the first). */
  get cursor() {
    return this.cursors[this.pageIndex];
  }

  reset() {
    this.cursors = [null];
    this.pageIndex = 0;
  }

  go(step, onPage) {
    if (step > 0 && this.nextCursor) {
      this.cursors = this.cursors.slice(0, this.pageIndex + 1);
      this.cursors.push(this.nextCursor);
      this.pageIndex += 1;
    } else if (step < 0 && this.pageIndex > 0) {
      this.pageIndex -= 1;
    } else {
      return;
    }
    onPage();
  }

  /** After a page of `count` leads arrived (or failed: `count` 0 and no `nextCursor`). */
  update(count) {
    this.previousButton.disabled = this.pageIndex === 0;
    this.nextButton.disabled = !this.nextCursor;
    const first = this.pageIndex * this.pageSize + 1;
    this.pageLabel.textContent = count
      ? `Page ${this.pageIndex + 1} · leads ${first}–${first + count - 1}${this.nextCursor ? "" : " (last page)"}`
      : `Page ${this.pageIndex + 1}`;
  }

  /** The page size into the URL's `params` when it is not the default. */
  writeParams(params) {
    if (this.pageSize !== DEFAULT_PAGE_SIZE) params.set("limit", String(this.pageSize));
  }
}
