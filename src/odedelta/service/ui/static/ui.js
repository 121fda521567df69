// /ui/: pick a customer, a product and a target offering, see what the change means, accept to order it.
// Every call goes to this service with the bearer token typed on the page: the customers (/ui/api/customers),
// TMF679 qualification, TMF663 shopping cart (its view through <odedelta-consequences>), TMF622 product order.
"use strict";
(function () {
  const script = document.currentScript;
  const root = new URL("../../", script ? script.src : location.href);  // the service: /ui/static/ui.js → /
  const QUALIFY = "tmf-api/productOfferingQualification/v4/productOfferingQualification";
  const CART = "tmf-api/shoppingCart/v4/shoppingCart";
  const ORDER = "tmf-api/productOrderingManagement/v4/productOrder";
  const $ = (id) => document.getElementById(id);
  const state = { token: "", asOf: "", customer: "", product: "", target: "", cart: "" };

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c !== undefined && c !== null));
    return node;
  }

  function say(text, alert) {
    const status = $("status");
    status.textContent = text;
    status.className = alert ? "refused" : "";
  }

  async function call(method, path, body, query) {
    const url = new URL(path, root);
    for (const [name, value] of Object.entries(query || {})) if (value) url.searchParams.set(name, value);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const response = await fetch(url, {
      method, headers, credentials: "omit", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    return { status: response.status, ok: response.ok, data };
  }

  function problem(answer) {
    const data = answer.data || {};
    if (answer.status === 401) return "The service needs a bearer token: type it under Access, then Use.";
    return `${data.reason || answer.status}: ${data.message || "the service refused the call"}`;
  }

  const party = () => [{ id: state.customer, role: "customer", "@referredType": "Individual" }];
  const item = () => ({
    id: "1", action: "modify", product: { id: state.product }, productOffering: { id: state.target },
  });

  function reset(from) {
    const steps = ["step-target", "step-view"];
    for (const id of steps.slice(steps.indexOf(from))) $(id).hidden = true;
    $("accept-bar").hidden = true;
    $("ordered").hidden = true;
  }

  // ---- access: the token and the moment
  async function customers() {
    const answer = await call("GET", "ui/api/customers");
    if (!answer.ok) { say(problem(answer), true); return; }
    const list = $("customer-list");
    list.replaceChildren(...answer.data.customers.map((c) => element("option", { value: c.id })));
    const shown = answer.data.customers.length;
    say(answer.data.listable ? `${answer.data.total} customers you may act for${
      answer.data.total > shown ? ` (the first ${shown} listed; type any id)` : ""}.`
      : "Type the customer's id (the inventory is a TMF637 server: it is asked for one customer at a time).");
  }

  $("access-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    state.asOf = $("as-of").value.trim();
    customers();
  });

  // ---- 1. the customer and the product
  $("customer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    state.customer = $("customer").value.trim();
    state.asOf = $("as-of").value.trim();
    reset("step-target");
    const answer = await call("GET", `ui/api/customers/${encodeURIComponent(state.customer)}`);
    if (!answer.ok) { $("product-form").hidden = true; say(problem(answer), true); return; }
    const products = answer.data.products;
    const choices = products.map((p, index) => {
      const id = `product-${index}`;
      const parts = p.components.length ? ` with ${p.components.join(", ")}` : "";
      return element("p", { class: "choice" },
        element("input", { type: "radio", name: "product", id, value: p.id, checked: index === 0 }),
        element("label", { for: id }, element("strong", {}, p.name),
          `${p.offeringName === p.name ? "" : ` (${p.offeringName})`}${parts} `,
          element("code", {}, p.id), p.status ? ` — ${p.status}` : ""));
    });
    $("products").replaceChildren(...(choices.length ? choices
      : [element("p", {}, `${state.customer} holds no product.`)]));
    $("product-form").hidden = !choices.length;
    say(`${products.length} product${products.length === 1 ? "" : "s"} of ${state.customer}.`);
  });

  // ---- 2. qualification: every offering the product can change to, qualified or not, with the reasons
  const RESULTS = { qualified: "Qualified", alternate: "Not qualified (an alternative is offered)",
    unqualified: "Not qualified" };

  $("product-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = document.querySelector("input[name=product]:checked");
    if (!chosen) return;
    state.product = chosen.value;
    reset("step-target");
    say("Qualifying…");
    const answer = await call("POST", QUALIFY, {
      productOfferingQualificationItem: [{ id: "1", product: { id: state.product } }],
      relatedParty: party(),
    }, { asOf: state.asOf });
    if (!answer.ok) { say(problem(answer), true); return; }
    const items = answer.data.productOfferingQualificationItem || [];
    const names = await call("GET", "ui/api/offerings", undefined,
      { ids: items.map((i) => i.productOffering.id).join(",") });
    const named = names.ok ? names.data : {};
    const headers = ["Choose", "Offering", "Result", "Price and charges", "Why"];
    const rows = items.map((it, index) => {
      const offering = it.productOffering.id;
      const id = `target-${index}`;
      const notes = (it.note || []).map((n) => element("li", {}, n.text));
      const reasons = (it.eligibilityUnavailabilityReason || []).map(
        (r) => element("li", {}, `${r.label} (${r.code})`));
      for (const proposal of it.alternateProductOfferingProposal || []) {
        reasons.push(element("li", {}, `instead: ${proposal.alternateProductOffering.id}`));
      }
      const cells = [
        element("input", { type: "radio", name: "target", id, value: offering,
          "aria-describedby": `${id}-result` }),
        element("label", { for: id }, element("strong", {}, named[offering] || offering), " ",
          element("code", {}, offering)),
        element("span", { id: `${id}-result`, class: it.qualificationItemResult === "qualified" ? "down" : "up" },
          RESULTS[it.qualificationItemResult] || it.qualificationItemResult),
        notes.length ? element("ul", { class: "lines" }, ...notes) : "—",
        reasons.length ? element("ul", { class: "lines" }, ...reasons) : "—",
      ];
      return element("tr", { "data-offering": offering, "data-result": it.qualificationItemResult },
        ...cells.map((cell, i) => element("td", { "data-label": headers[i] }, cell)));
    });
    const table = element("table", { class: "stack" },
      element("caption", {}, `What ${state.product} can change to`),
      element("thead", {}, element("tr", {}, ...headers.map((h) => element("th", { scope: "col" }, h)))),
      element("tbody", {}, ...rows));
    $("targets").replaceChildren(element("div", { class: "scroll" }, table));
    $("step-target").hidden = false;
    say(`${items.length} offerings: ${items.filter((i) => i.qualificationItemResult === "qualified").length} qualified.`);
    $("target-h").focus({ preventScroll: false });
  });

  // ---- 3. the consequences: a cart (its view), or — when the change is refused — the refusal and its reasons
  $("target-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = document.querySelector("input[name=target]:checked");
    if (!chosen) { say("Choose a target offering.", true); return; }
    state.target = chosen.value;
    state.cart = "";
    reset("step-view");
    const view = $("view");
    view.token = state.token;
    view.removeAttribute("cart");
    const body = { cartItem: [item()], relatedParty: party() };
    const refused = chosen.closest("tr").dataset.result !== "qualified";
    let outcome;
    if (refused) {  // no cart can hold a refused change: its view says why
      outcome = await view.preview(body, state.asOf);
    } else {
      const answer = await call("POST", CART, body, { asOf: state.asOf });
      if (!answer.ok) {
        outcome = await view.preview(body, state.asOf);
      } else {
        state.cart = answer.data.id;
        view.setAttribute("version", "4");
        view.setAttribute("cart", state.cart);
        outcome = await new Promise((resolve) => view.addEventListener(
          "odedelta:shown", (e) => resolve(e.detail.outcome), { once: true }));
      }
    }
    $("step-view").hidden = false;
    $("accept-bar").hidden = !(outcome === "change" && state.cart);
    say(outcome === "change" ? `Shopping cart ${state.cart}: the consequences are shown below.`
      : outcome === "refused" ? "The change is refused: the reasons are shown below." : "The view could not be shown.",
    outcome !== "change");
  });

  // ---- accept: the TMF622 order of the same change, at the same moment
  $("accept").addEventListener("click", async () => {
    $("accept").disabled = true;
    const answer = await call("POST", ORDER, {
      productOrderItem: [item()], relatedParty: party(),
      description: `Accepted in the consequence view (shopping cart ${state.cart})`,
    }, { asOf: state.asOf });
    $("accept").disabled = false;
    if (!answer.ok) { say(problem(answer), true); return; }
    const order = answer.data;
    const ordered = $("ordered");
    ordered.replaceChildren(element("p", { class: order.state === "rejected" ? "refused" : "figure" },
      element("span", { class: "label" }, "Product order"),
      element("span", { class: "value", id: "order-id" }, order.id),
      element("span", { class: "label", id: "order-state" }, `state: ${order.state}`)));
    ordered.hidden = false;
    $("accept-bar").hidden = true;
    say(`Product order ${order.id} created (${order.state}).`, order.state === "rejected");
  });

  say("Type your bearer token under Access (empty when the service needs none), then Use.");
})();
