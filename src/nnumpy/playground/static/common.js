// nnumpy playground: what both pages share: the language (English or Korean), the header, the JSON API.
// Each page registers its strings with NN.i18n({en: {...}, ko: {...}}) and marks translated
// elements with data-i18n="key" (text) or data-i18n-title="key" (tooltip).
"use strict";

const NN = (() => {
  const strings = { en: {}, ko: {} };
  const common = {
    en: {
      nav_playground: "2-D playground", nav_digits: "Digits", lang_switch: "한국어",
      brand_note: "every forward value and gradient from nnumpy's own layers",
    },
    ko: {
      nav_playground: "2차원 놀이터", nav_digits: "숫자 인식", lang_switch: "English",
      brand_note: "모든 순전파 값과 기울기는 nnumpy 레이어가 직접 계산합니다",
    },
  };

  function initialLang() {
    const q = new URLSearchParams(window.location.search).get("lang");
    if (q === "en" || q === "ko") return q;
    try {
      const saved = window.localStorage.getItem("nnumpy-lang");
      if (saved === "en" || saved === "ko") return saved;
    } catch (e) { /* storage may be off: the default follows */ }
    return (navigator.language || "en").toLowerCase().startsWith("ko") ? "ko" : "en";
  }

  const api = {
    lang: initialLang(),

    i18n(dict) {
      for (const lang of ["en", "ko"]) Object.assign(strings[lang], dict[lang] || {});
    },

    t(key, vars) {
      let s = strings[api.lang][key];
      if (s === undefined) s = strings.en[key];
      if (s === undefined) s = key;
      if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
      return s;
    },

    applyI18n(root) {
      root = root || document;
      document.documentElement.lang = api.lang;
      root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = api.t(el.dataset.i18n); });
      root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = api.t(el.dataset.i18nTitle); });
      root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
        el.placeholder = api.t(el.dataset.i18nPlaceholder);
      });
      document.querySelectorAll("a[data-keep-lang]").forEach((a) => {
        const url = new URL(a.getAttribute("href"), window.location.href);
        url.searchParams.set("lang", api.lang);
        a.href = url.pathname + url.search;
      });
    },

    setLang(lang) {
      api.lang = lang === "ko" ? "ko" : "en";
      try { window.localStorage.setItem("nnumpy-lang", api.lang); } catch (e) { /* ignore */ }
      const url = new URL(window.location.href);
      url.searchParams.set("lang", api.lang);
      window.history.replaceState(null, "", url.pathname + url.search);
      api.applyI18n();
      window.dispatchEvent(new CustomEvent("nn-lang", { detail: api.lang }));
    },

    initHeader() {
      api.i18n(common);
      const button = document.getElementById("lang-switch");
      if (button) button.addEventListener("click", () => api.setLang(api.lang === "en" ? "ko" : "en"));
      api.applyI18n();
    },

    async api(method, path, body) {
      const init = { method, headers: {} };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const response = await fetch(path, init);
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      if (!response.ok) {
        const err = new Error((data && data.error) || response.status + " " + response.statusText);
        err.field = data && data.field;
        err.status = response.status;
        throw err;
      }
      return data;
    },

    // A number as the page prints it: 4 significant digits, a minus sign, "—" for none.
    // Small and large values in e-notation (4.872e-6), so a column of gradients stays narrow.
    fmt(v, digits) {
      if (v === null || v === undefined || Number.isNaN(v)) return "—";
      const d = digits || 4;
      const x = Number(v);
      if (x === 0) return "0";
      const a = Math.abs(x);
      const s = a < 1e-3 || a >= 1e5 ? x.toExponential(d - 1).replace(/\.?0+e/, "e") : String(Number(x.toPrecision(d)));
      return s.split("-").join("−");
    },
  };
  return api;
})();
