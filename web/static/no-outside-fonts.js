/*
 * Loaded just before the widget bundle. rasa-webchat's styles start with
 * `@import url(https://fonts.googleapis.com/...)`, which would make every visitor's
 * browser contact Google. The page uses the visitor's system fonts instead, so
 * the import is removed from the widget's styles as they are written into the page.
 * (The Content-Security-Policy in index.html would block it anyway; removing it
 * first keeps the console free of violation reports.)
 *
 * Only the text nodes created while the bundle loads are touched: chat.js calls
 * window.tmsRestoreTextNodes() right after, before any message is shown.
 */
(function () {
  "use strict";
  var originalCreateTextNode = document.createTextNode;
  var OUTSIDE_IMPORT = /@import\s+url\(\s*(["']?)(?:https?:)?\/\/[^)]*\1\s*\)[^;]*;?/gi;

  document.createTextNode = function (text) {
    if (typeof text === "string" && text.indexOf("@import") !== -1) {
      text = text.replace(OUTSIDE_IMPORT, "");
    }
    return originalCreateTextNode.call(document, text);
  };

  window.tmsRestoreTextNodes = function () {
    document.createTextNode = originalCreateTextNode;
  };
})();
