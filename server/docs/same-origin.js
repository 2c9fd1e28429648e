// Redoc styles itself with styled-components, which writes its CSS into
// <style> elements. The site's Content-Security-Policy (default-src 'self')
// refuses those, and Redoc then renders nothing. CSP governs style elements
// and attributes, not the CSS Object Model: so this script, loaded before
// Redoc, keeps <style> elements out of the document and gives each one a
// constructed stylesheet that the document adopts instead. The CSS is the
// same; no inline style is ever applied, so the policy needs no exception.
//
// Redoc also shows its maker's logo from a CDN in the sidebar's footer; the
// page loads nothing from elsewhere, so images from another origin are not
// loaded (the footer keeps its text link); and the one image its CSS holds
// as a data: URL, the icon of a heading's link (img-src 'self' refuses
// data:), comes from this server, as link-icon.svg.
(function () {
  'use strict';
  if (!('adoptedStyleSheets' in Document.prototype) || !('replaceSync' in CSSStyleSheet.prototype)) {
    return;
  }
  var sheets = new WeakMap();
  function local(css) {
    return css.replace(/url\(\s*(["']?)data:image\/svg\+xml;base64,[A-Za-z0-9+\/=]+\1\s*\)/g, 'url("/docs/link-icon.svg")');
  }
  var insertRule = CSSStyleSheet.prototype.insertRule;
  function sheetOf(el) {
    var s = sheets.get(el);
    if (!s) {
      var text = el.textContent || '';
      s = new CSSStyleSheet();
      s.replaceSync(local(text));
      s.insertRule = function (rule, index) { return insertRule.call(s, local(rule), index); };
      sheets.set(el, s);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([s]);
      // Libraries that write CSS as text into their style element later.
      // Only a change of text replaces the rules: styled-components adds an
      // empty text node, then inserts its rules through the sheet.
      new MutationObserver(function () {
        var now = el.textContent || '';
        if (now !== text) { text = now; s.replaceSync(local(now)); }
      }).observe(el, { childList: true, characterData: true, subtree: true });
    }
    return s;
  }
  var own = Object.getOwnPropertyDescriptor(HTMLStyleElement.prototype, 'sheet');
  Object.defineProperty(HTMLStyleElement.prototype, 'sheet', {
    configurable: true,
    get: function () {
      return sheets.has(this) ? sheets.get(this) : (own ? own.get.call(this) : null);
    }
  });
  function foreign(url) {
    try { return new URL(url, document.baseURI).origin !== location.origin; } catch (e) { return true; }
  }
  var setAttr = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === 'src' && foreign(value)) {
      this.hidden = true;
      return;
    }
    return setAttr.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    configurable: true,
    get: function () { return src.get.call(this); },
    set: function (value) {
      if (foreign(value)) { this.hidden = true; return; }
      src.set.call(this, value);
    }
  });
  function isStyle(node) { return node instanceof HTMLStyleElement; }
  var append = Node.prototype.appendChild;
  var insert = Node.prototype.insertBefore;
  Node.prototype.appendChild = function (node) {
    if (isStyle(node)) { sheetOf(node); return node; }
    return append.call(this, node);
  };
  Node.prototype.insertBefore = function (node, ref) {
    if (isStyle(node)) { sheetOf(node); return node; }
    return insert.call(this, node, ref);
  };
})();
