/**
 * The reorder terminal's own script (plain browser JavaScript, served as
 * /reorder/assets/<version>/terminal.js). Everything goes through the public API: `gallery` per
 * access code, `shopOffer` and `services` for the sizes, `registerCustomer` / `login`, `quote`,
 * `placeReorder` with an idempotency key kept until it succeeds, then `order` and the
 * `orderUpdates` subscription (graphql-ws) to follow it. Each subscription event makes it read the
 * order again, and only the answer to the latest read is shown, so events and reads that cross on
 * the wire never show an older state. Payload errors are shown with their message and code.
 */
export const TERMINAL_SCRIPT = String.raw`"use strict";
(function () {
  var body = document.body;
  var ENDPOINT = body.getAttribute("data-endpoint");
  var TEST_MODE = body.getAttribute("data-test-mode") === "1";
  var TEST_PAY_PATH = "/payments/test-mode/pay";
  var STORE = window.sessionStorage;

  var state = {
    token: STORE.getItem("printmesh.reorder.token"),
    login: STORE.getItem("printmesh.reorder.login"),
    codes: [], // { code, shopId, name }
    images: new Map(), // imageId -> { imageId, code }: each photo once, whichever code shows it
    picks: new Map(), // imageId -> { serviceId, copies }
    services: [], // { id, name }
    shopId: null,
    quote: null,
    idempotencyKey: null,
    orderId: STORE.getItem("printmesh.reorder.order"),
    ws: null,
    reads: 0,
  };

  function $(id) { return document.getElementById(id); }
  function show(id, on) {
    var element = $(id);
    if (element) element.hidden = !on;
  }
  function text(id, value) { $(id).textContent = value; }

  // ------------------------------------------------------------------ errors

  function showErrors(errors) {
    var list = $("error-list");
    list.textContent = "";
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e.code ? e.message + " (" + e.code + ")" : e.message;
      li.setAttribute("data-code", e.code || "");
      list.appendChild(li);
    });
    show("errors", errors.length > 0);
  }
  function clearErrors() { showErrors([]); }

  // ------------------------------------------------------------------ the API

  async function gql(query, variables) {
    var headers = { "content-type": "application/json", accept: "application/graphql-response+json, application/json" };
    if (state.token) headers.authorization = "Bearer " + state.token;
    var response;
    try {
      response = await fetch(ENDPOINT, { method: "POST", headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) });
    } catch (e) {
      throw { message: "The center cannot be reached; check the connection and try again" };
    }
    var result = await response.json().catch(function () { return null; });
    if (!result) throw { message: "The center answered " + response.status };
    if (result.errors && result.errors.length) {
      var first = result.errors[0];
      var code = (first.extensions && first.extensions.code) || "";
      if (code === "UNAUTHENTICATED" && state.token) signOut();
      throw { message: first.message, code: code };
    }
    return result.data;
  }

  /** Runs an action from a button or form: errors shown, the button off while it runs. */
  function action(button, work) {
    return async function (event) {
      if (event) event.preventDefault();
      clearErrors();
      if (button) button.disabled = true;
      try {
        await work();
      } catch (e) {
        // A payload's errors one per line, each with its code.
        showErrors(e && e.list ? e.list : [e && e.message ? e : { message: String(e) }]);
      } finally {
        if (button) button.disabled = false;
      }
    };
  }

  /** A payload's errors, thrown so that the action shows them. */
  function payloadErrors(payload) {
    if (payload.errors && payload.errors.length) throw { message: payload.errors[0].message, code: payload.errors[0].code, list: payload.errors };
  }

  // ------------------------------------------------------------------ money

  var fractionDigits = {};
  /** Integer minor units shown in major units, without floating point: 1050 JPY, 10.50 EUR. */
  function money(amount, currency) {
    if (!(currency in fractionDigits)) {
      try {
        fractionDigits[currency] = new Intl.NumberFormat("en", { style: "currency", currency: currency }).resolvedOptions().maximumFractionDigits;
      } catch (e) {
        fractionDigits[currency] = 2;
      }
    }
    var digits = fractionDigits[currency];
    var negative = amount < 0;
    var s = String(Math.abs(amount));
    if (digits > 0) {
      while (s.length <= digits) s = "0" + s;
      s = s.slice(0, s.length - digits) + "." + s.slice(s.length - digits);
    }
    return (negative ? "-" : "") + s + " " + currency;
  }

  // ------------------------------------------------------------------ 1-2. codes and thumbnails

  var GALLERY = "query($code: String!) { gallery(accessCode: $code) { shootId shopId name images { imageId width height thumbnailUrl } } }";
  var OFFER = "query($shopId: ID!) { shopOffer(shopId: $shopId) { services { serviceId } } services { id name } }";

  async function openCode() {
    var code = $("code").value.trim();
    if (!code) return;
    if (state.codes.some(function (c) { return c.code === code; })) throw { message: "This code is open already" };
    var data = await gql(GALLERY, { code: code });
    var gallery = data.gallery;
    if (!gallery) throw { message: "No photos for this code: check it and try again", code: "INVALID_ACCESS_CODE" };
    if (state.shopId && gallery.shopId !== state.shopId) {
      throw { message: "This code is of another shop's event: reorder its photos separately" };
    }
    if (!state.shopId) {
      state.shopId = gallery.shopId;
      var offer = await gql(OFFER, { shopId: gallery.shopId });
      var offered = new Set(((offer.shopOffer && offer.shopOffer.services) || []).map(function (s) { return s.serviceId; }));
      state.services = offer.services.filter(function (s) { return offered.has(s.id); });
    }
    state.codes.push({ code: code, shopId: gallery.shopId, name: gallery.name });
    var li = document.createElement("li");
    li.textContent = gallery.name + " (" + gallery.images.length + " photos)";
    li.setAttribute("data-code", code);
    $("opened-codes").appendChild(li);
    gallery.images.forEach(function (image) { addThumbnail(image, code); });
    $("code").value = "";
    show("gallery-step", true);
    show("account-step", true);
    renderAccount();
  }

  function addThumbnail(image, code) {
    if (state.images.has(image.imageId)) return;
    state.images.set(image.imageId, { imageId: image.imageId, code: code });
    var figure = document.createElement("figure");
    figure.className = "thumb";
    figure.setAttribute("data-image-id", image.imageId);
    var img = document.createElement("img");
    img.src = image.thumbnailUrl;
    img.alt = "Photo " + image.imageId;
    img.width = image.width;
    img.height = image.height;
    var pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    pick.id = "pick-" + image.imageId;
    var label = document.createElement("label");
    label.htmlFor = pick.id;
    label.textContent = " Print this";
    var size = document.createElement("select");
    size.className = "size";
    size.setAttribute("aria-label", "Size");
    state.services.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.id;
      option.textContent = s.name;
      size.appendChild(option);
    });
    var copies = document.createElement("input");
    copies.type = "number";
    copies.className = "copies";
    copies.min = "1";
    copies.max = "99";
    copies.value = "1";
    copies.setAttribute("aria-label", "Copies");
    function update() {
      if (pick.checked) state.picks.set(image.imageId, { serviceId: size.value, copies: Math.max(1, Math.min(99, parseInt(copies.value, 10) || 1)) });
      else state.picks.delete(image.imageId);
      figure.classList.toggle("picked", pick.checked);
      forgetQuote();
    }
    pick.addEventListener("change", update);
    size.addEventListener("change", update);
    copies.addEventListener("input", update);
    figure.append(img, pick, label, size, copies);
    $("thumbnails").appendChild(figure);
  }

  // ------------------------------------------------------------------ 3. account

  var USER_FIELDS = "token user { login name } errors { code message field }";
  var LOGIN = "mutation($login: String!, $password: String!) { login(login: $login, password: $password) { " + USER_FIELDS + " } }";
  var SIGNUP = "mutation($login: String!, $name: String!, $password: String!) { registerCustomer(login: $login, name: $name, password: $password) { " + USER_FIELDS + " } }";

  function signedIn(payload) {
    payloadErrors(payload);
    state.token = payload.token;
    state.login = payload.user ? payload.user.login : "";
    STORE.setItem("printmesh.reorder.token", state.token);
    STORE.setItem("printmesh.reorder.login", state.login);
    renderAccount();
  }

  function signOut() {
    state.token = null;
    state.login = null;
    STORE.removeItem("printmesh.reorder.token");
    STORE.removeItem("printmesh.reorder.login");
    renderAccount();
  }

  function renderAccount() {
    var on = !!state.token;
    show("account-forms", !on);
    show("signed-in", on);
    text("signed-in", on ? "Signed in as " + state.login + "." : "");
    show("address-step", on && state.codes.length > 0);
  }

  // ------------------------------------------------------------------ 4-5. address, quote, place

  var QUOTE = "query($input: OrderInput!) { quote(input: $input) { quote { total currency subOrders { serviceId sheets subtotal lines { productId sheets basicCharge amountCharge } imageFees { imageId sheets subtotal } } } errors { code message field } } }";
  var ORDER_FIELDS = "id status total currency shopId payment { method status amount currency } shipment { status carrier trackingNumber }";
  var PLACE = "mutation($input: ReorderInput!, $key: String) { placeReorder(input: $input, idempotencyKey: $key) { order { " + ORDER_FIELDS + " } errors { code message field } } }";

  function address() {
    var a = { country: $("addr-country").value.trim().toUpperCase(), postalCode: $("addr-postal").value.trim() };
    var recipient = $("addr-recipient").value.trim();
    var line1 = $("addr-line1").value.trim();
    var city = $("addr-city").value.trim();
    if (recipient) a.recipient = recipient;
    if (line1) a.line1 = line1;
    if (city) a.city = city;
    return a;
  }

  /** The picks as sub-orders: one per size, each photo once, its copies as sheets. */
  function subOrders() {
    var bySize = new Map();
    state.picks.forEach(function (pick, imageId) {
      var sub = bySize.get(pick.serviceId);
      if (!sub) bySize.set(pick.serviceId, (sub = { serviceId: pick.serviceId, sheets: 0, items: [] }));
      sub.sheets += pick.copies;
      sub.items.push({ imageId: imageId });
    });
    return Array.from(bySize.values());
  }

  function forgetQuote() {
    state.quote = null;
    state.idempotencyKey = null;
    show("quote-step", false);
  }

  function serviceName(id) {
    var s = state.services.find(function (x) { return x.id === id; });
    return s ? s.name : id;
  }

  async function seeQuote() {
    if (state.picks.size === 0) throw { message: "Tick at least one photo to print" };
    var input = { shopId: state.shopId, fulfilment: { method: "DELIVERY", address: address() }, subOrders: subOrders() };
    var data = await gql(QUOTE, { input: input });
    payloadErrors(data.quote);
    var quote = data.quote.quote;
    state.quote = { input: input, quote: quote };
    // A new key for a new quote; kept through retries of this one, so a retry never orders twice.
    state.idempotencyKey = randomKey();
    var rows = $("quote-lines").tBodies[0];
    rows.textContent = "";
    quote.subOrders.forEach(function (sub) {
      sub.lines.forEach(function (line) {
        row(rows, [serviceName(sub.serviceId), line.productId, String(line.sheets), money(line.basicCharge + line.amountCharge * line.sheets, quote.currency)]);
      });
      sub.imageFees.forEach(function (fee) {
        row(rows, [serviceName(sub.serviceId), "copyright fee", String(fee.sheets), money(fee.subtotal, quote.currency)]);
      });
    });
    var total = $("quote-total");
    total.textContent = money(quote.total, quote.currency);
    total.setAttribute("data-amount", String(quote.total));
    total.setAttribute("data-currency", quote.currency);
    show("quote-step", true);
  }

  function row(rows, cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (value, i) {
      var td = document.createElement("td");
      td.textContent = value;
      if (i === cells.length - 1) td.className = "amount";
      tr.appendChild(td);
    });
    rows.appendChild(tr);
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "terminal-" + Array.from(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  async function place() {
    if (!state.quote) throw { message: "See the price first" };
    var method = document.querySelector("input[name=payment]:checked").value;
    var input = {
      accessCodes: state.codes.map(function (c) { return c.code; }),
      subOrders: state.quote.input.subOrders,
      fulfilment: state.quote.input.fulfilment,
      paymentMethod: method,
    };
    var data = await gql(PLACE, { input: input, key: state.idempotencyKey });
    payloadErrors(data.placeReorder);
    var order = data.placeReorder.order;
    state.orderId = order.id;
    STORE.setItem("printmesh.reorder.order", order.id);
    show("codes-step", false);
    show("gallery-step", false);
    show("account-step", false);
    show("address-step", false);
    show("quote-step", false);
    follow(order);
  }

  // ------------------------------------------------------------------ 6. pay and follow

  var ORDER = "query($id: ID!) { order(id: $id) { " + ORDER_FIELDS + " } }";
  var UPDATES = "subscription { orderUpdates { id status } }";

  function render(order) {
    text("order-ref", order.id);
    text("order-amount", money(order.total, order.currency));
    $("order-amount").setAttribute("data-amount", String(order.total));
    text("order-status", order.status);
    var payment = order.payment || { method: "COUNTER", status: "PENDING" };
    text("payment-status", payment.status + (payment.method === "COUNTER" ? " (at the counter)" : " (payment gateway)"));
    var waiting = payment.status === "PENDING";
    show("counter-note", waiting && payment.method === "COUNTER");
    text("counter-note", "Please pay " + money(order.total, order.currency) + " at the counter of shop " + order.shopId + ", giving the order reference " + order.id + ". Your prints are made once it is paid.");
    show("gateway-note", waiting && payment.method === "GATEWAY");
    text("gateway-note", "Your payment of " + money(order.total, order.currency) + " goes through the payment gateway; your prints are made as soon as it confirms it.");
    show("test-pay-button", TEST_MODE && waiting && payment.method === "GATEWAY");
    var shipment = order.shipment;
    text("shipment-status", shipment ? shipment.status : "not shipped yet");
    text("carrier", shipment && shipment.carrier ? shipment.carrier : "–");
    text("tracking", shipment && shipment.trackingNumber ? shipment.trackingNumber : "–");
    show("delivered-note", !!shipment && shipment.status === "DELIVERED");
  }

  /** Reads the order again; only the latest read is shown. */
  async function refresh() {
    var read = ++state.reads;
    try {
      var data = await gql(ORDER, { id: state.orderId });
      if (read !== state.reads) return;
      if (data.order) render(data.order);
    } catch (e) {
      if (read === state.reads) showErrors([e]);
    }
  }

  function follow(order) {
    show("order-step", true);
    if (order) render(order);
    if (!state.ws) {
      var url = new URL(ENDPOINT, location.href);
      url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
      state.ws = graphqlWs.createClient({
        url: url.href,
        connectionParams: { authorization: "Bearer " + state.token },
        lazy: false,
        retryAttempts: Infinity,
        // Read again after every (re)connection: what happened while away is in the order.
        on: { connected: function () { refresh(); } },
      });
      state.ws.subscribe({ query: UPDATES }, {
        next: function (v) {
          if (v.data && v.data.orderUpdates && v.data.orderUpdates.id === state.orderId) refresh();
        },
        error: function () { showErrors([{ message: "Live updates stopped; reload the page to follow your order" }]); },
        complete: function () {},
      });
    }
    refresh();
  }

  async function testPay() {
    var response = await fetch(TEST_PAY_PATH, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + state.token },
      body: JSON.stringify({ orderId: state.orderId }),
    });
    var answer = await response.json().catch(function () { return null; });
    if (!response.ok) {
      var e = answer && answer.error ? answer.error : { message: "The test payment failed (" + response.status + ")" };
      throw e;
    }
    await refresh();
  }

  // ------------------------------------------------------------------ wiring

  function wire(formOrButton, button, work) {
    formOrButton.addEventListener(formOrButton.tagName === "FORM" ? "submit" : "click", action(button, work));
  }

  wire($("code-form"), $("open-code"), openCode);
  wire($("login-form"), $("login-button"), async function () {
    var data = await gql(LOGIN, { login: $("login-login").value.trim(), password: $("login-password").value });
    signedIn(data.login);
  });
  wire($("signup-form"), $("signup-button"), async function () {
    var data = await gql(SIGNUP, { login: $("signup-login").value.trim(), name: $("signup-name").value.trim(), password: $("signup-password").value });
    signedIn(data.registerCustomer);
  });
  wire($("address-form"), $("quote-button"), seeQuote);
  wire($("place-button"), $("place-button"), place);
  // Only in the gateway's test mode (never in production) is there such a button.
  if (TEST_MODE) wire($("test-pay-button"), $("test-pay-button"), testPay);
  $("address-form").addEventListener("input", forgetQuote);

  // Back on the page with an order placed in this tab: follow it again.
  if (state.orderId && state.token) {
    show("codes-step", false);
    follow(null);
  }
  renderAccount();
})();
`;
