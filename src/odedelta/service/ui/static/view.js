// The consequence view as a custom element: <odedelta-consequences cart="ID" version="4">.
// It asks the service (the origin this script came from) for the view of a cart — or of a cart body that is not a
// cart yet — with the caller's bearer token (the element's `token` property), and shows the HTML the service drew
// (odedelta.outputs.html, the same view as `odedelta change --format html`). No other origin is ever called.
//
// On the page /ui/consequences (body data-embed) the element takes the cart from ?cart= and the token from the URL's
// fragment (#token=…, never sent to a server) or from a postMessage {type: "odedelta:token", token} of the page that
// embeds it (framed without #token=, it first posts {type: "odedelta:ready"}); it tells that page its height
// ({type: "odedelta:height", height}) so an iframe can fit it.
"use strict";
(function () {
  const script = document.currentScript;
  const api = new URL("../api/consequences", script ? script.src : location.href);
  const WAIT_FOR_TOKEN = 1500;  // ms a framed view without #token= waits for the embedding page's token

  function message(status, text) {
    try {
      const error = JSON.parse(text);
      if (error && error.message) return `${error.reason || status}: ${error.message}`;
    } catch (_) { /* not a TMF Error: said below */ }
    return `the service answered ${status}`;
  }

  class Consequences extends HTMLElement {
    static get observedAttributes() { return ["cart", "version"]; }

    constructor() {
      super();
      this.token = "";
      this.outcome = "";
    }

    connectedCallback() {
      if (!this.hasAttribute("aria-live")) this.setAttribute("aria-live", "polite");
      if (this.getAttribute("cart")) this.load();
    }

    attributeChangedCallback(name, before, after) {
      if (this.isConnected && before !== after && this.getAttribute("cart")) this.load();
    }

    headers(extra) {
      const headers = Object.assign({ Accept: "text/html" }, extra || {});
      if (this.token) headers.Authorization = `Bearer ${this.token}`;
      return headers;
    }

    // the view of the stored cart named by the cart attribute
    async load() {
      const url = new URL(api);
      url.searchParams.set("cart", this.getAttribute("cart"));
      if (this.getAttribute("version")) url.searchParams.set("version", this.getAttribute("version"));
      return this.show(await fetch(url, { headers: this.headers(), credentials: "omit" }));
    }

    // the view of a cart body (cartItem, relatedParty) before it is a cart: a refusal shows its reasons
    async preview(body, asOf) {
      const url = new URL(api);
      if (asOf) url.searchParams.set("asOf", asOf);
      return this.show(await fetch(url, {
        method: "POST", body: JSON.stringify(body), credentials: "omit",
        headers: this.headers({ "Content-Type": "application/json" }),
      }));
    }

    async show(response) {
      const text = await response.text();
      this.busy = false;
      if (!response.ok) {
        this.outcome = "error";
        this.replaceChildren();
        const alert = document.createElement("p");
        alert.className = "refused";
        alert.setAttribute("role", "alert");
        alert.textContent = message(response.status, text);
        this.append(alert);
      } else {
        // the service's own HTML, every value escaped where it was drawn; no script in it (the CSP allows none)
        this.innerHTML = text;
        this.outcome = this.querySelector(".refused") ? "refused" : "change";
      }
      this.dispatchEvent(new CustomEvent("odedelta:shown", { detail: { outcome: this.outcome }, bubbles: true }));
      return this.outcome;
    }
  }

  if (!customElements.get("odedelta-consequences")) customElements.define("odedelta-consequences", Consequences);

  // ---- the embeddable page: /ui/consequences?cart=ID[&version=4]#token=…
  function embed() {
    const view = document.querySelector("odedelta-consequences");
    if (!view) return;
    const query = new URLSearchParams(location.search);
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has("token")) {
      view.token = fragment.get("token");
      history.replaceState(null, "", location.pathname + location.search);  // the token leaves the address bar
    }
    const tell = () => {
      if (window.parent !== window) {
        window.parent.postMessage({ type: "odedelta:height", height: document.documentElement.scrollHeight }, "*");
      }
    };
    view.addEventListener("odedelta:shown", tell);
    window.addEventListener("message", (event) => {
      const data = event.data;
      if (event.source === window.parent && data && data.type === "odedelta:token" && typeof data.token === "string") {
        view.token = data.token;
        if (!query.get("cart")) return;
        if (view.getAttribute("cart")) view.load(); else view.setAttribute("cart", query.get("cart"));
      }
    });
    if (query.get("version")) view.setAttribute("version", query.get("version"));
    if (!query.get("cart")) {
      const note = document.createElement("p");
      note.className = "refused";
      note.setAttribute("role", "alert");
      note.textContent = "Name the cart: /ui/consequences?cart=<shoppingCart id>";
      view.append(note);
      return;
    }
    const start = () => { if (!view.getAttribute("cart")) view.setAttribute("cart", query.get("cart")); };
    if (view.token || window.parent === window) {
      start();
    } else {  // framed without a token in the address: ask the embedding page for one, then go on without
      window.parent.postMessage({ type: "odedelta:ready" }, "*");
      setTimeout(start, WAIT_FOR_TOKEN);
    }
  }

  if (document.body && document.body.dataset.embed === "consequences") embed();
})();
