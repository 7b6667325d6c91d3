/*
 * Starts the rasa-webchat widget (web/node_modules, served at /vendor/webchat.js)
 * and fills the gaps it leaves for keyboard and screen-reader users.
 *
 * Its settings come from data-* attributes of #webchat, which the page server
 * fills from clinic.yml and the Rasa server's URL. No inline script is needed, so
 * the page's Content-Security-Policy allows scripts from this site only.
 */
(function () {
  "use strict";

  var host = document.getElementById("webchat");
  var settings = host.dataset;
  if (window.tmsRestoreTextNodes) {
    window.tmsRestoreTextNodes();
  }

  window.WebChat.default({
    initPayload: "/greet",
    customData: { language: "en" },
    socketUrl: settings.socketUrl,
    socketPath: "/socket.io/",
    title: settings.title,
    subtitle: settings.subtitle,
    inputTextFieldHint: "Type your question\u2026",
    connectingText: settings.connectingText,
    // Stay visible while the server is unreachable: the header then says so,
    // and the page keeps showing the phone number and the emergency line.
    hideWhenNotConnected: false,
    showFullScreenButton: false,
    showMessageDate: false,
    mainColor: settings.primaryColor,
    userBackgroundColor: settings.primaryColor,
    userTextColor: "#ffffff",
    // A short "typing" pause between bubbles, never the widget's 3-second default:
    // crisis resources must not keep anyone waiting.
    customMessageDelay: function (message) {
      return Math.min(900, 300 + 2 * String(message || "").length);
    },
    // The conversation survives a reload of this tab, but is not left behind in
    // the browser once the tab is closed (shared or family computers).
    params: { storage: "session" }
  }, host);

  /* ---- Accessibility: names, roles and keyboard use the widget lacks ---- */

  var LABELS = [
    [".rw-new-message", "Your message to the " + settings.title + " assistant"],
    [".rw-send", "Send"],
    [".rw-close-button", "Close the chat"]
  ];
  var focusInputWhenOpen = false;
  var focusLauncherWhenClosed = false;

  function setAttribute(element, name, value) {
    if (element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  function isOpen() {
    return host.querySelector(".rw-conversation-container") !== null;
  }

  function input() {
    return host.querySelector(".rw-new-message");
  }

  function visibleLauncher() {
    var launchers = host.querySelectorAll(".rw-launcher, .rw-close-button");
    for (var i = 0; i < launchers.length; i += 1) {
      if (launchers[i].offsetParent !== null) {
        return launchers[i];
      }
    }
    return null;
  }

  function enhance() {
    var open = isOpen();
    host.querySelectorAll(".rw-launcher").forEach(function (launcher) {
      setAttribute(launcher, "aria-label", open ? "Close the chat" : "Open the chat with the " + settings.title + " assistant");
      setAttribute(launcher, "aria-expanded", String(open));
      setAttribute(launcher, "title", open ? "Close the chat" : "Chat with our assistant");
    });
    LABELS.forEach(function (pair) {
      host.querySelectorAll(pair[0]).forEach(function (element) {
        setAttribute(element, "aria-label", pair[1]);
      });
    });
    var conversation = host.querySelector(".rw-conversation-container");
    if (conversation) {
      setAttribute(conversation, "role", "dialog");
      setAttribute(conversation, "aria-label", "Chat with the " + settings.title + " assistant");
    }
    var log = host.querySelector(".rw-messages-container");
    if (log) {
      setAttribute(log, "role", "log");
      setAttribute(log, "aria-live", "polite");
      setAttribute(log, "aria-label", "Conversation");
    }
    host.querySelectorAll(".rw-reply").forEach(function (reply) {
      setAttribute(reply, "role", "button");
      setAttribute(reply, "tabindex", "0");
    });
    if (open && focusInputWhenOpen && input()) {
      focusInputWhenOpen = false;
      input().focus();
    }
    if (!open && focusLauncherWhenClosed && visibleLauncher()) {
      focusLauncherWhenClosed = false;
      visibleLauncher().focus();
    }
    checkLength();
  }

  /* ---- Messages over the channel's length limit ---- */

  // rasa-webchat has no maxlength option, and a maxlength would silently cut a
  // pasted letter. Instead a note under the field says it is too long; sent anyway,
  // the server still reads all of it for a crisis (channels/long_messages.py).
  var maxChars = parseInt(settings.maxMessageChars, 10) || 5000;

  function lengthWarning(sender) {
    var note = host.querySelector(".chat-length-warning");
    if (!note) {
      note = document.createElement("p");
      note.className = "chat-length-warning";
      note.id = "chat-length-warning";
      note.setAttribute("role", "status");
      note.hidden = true;
      note.textContent = "This message is over " + maxChars.toLocaleString("en-US") +
        " characters, more than one message can hold: please send it in shorter parts." +
        " In crisis? Call or text 988.";
      sender.parentNode.insertBefore(note, sender);
    }
    return note;
  }

  function checkLength() {
    var field = input();
    var sender = host.querySelector(".rw-sender");
    if (!field || !sender) {
      return;
    }
    var note = lengthWarning(sender);
    var tooLong = field.value.length > maxChars;
    if (note.hidden === tooLong) {
      note.hidden = !tooLong;
    }
    if (tooLong) {
      setAttribute(field, "aria-describedby", note.id);
    } else if (field.hasAttribute("aria-describedby")) {
      field.removeAttribute("aria-describedby");
    }
  }

  host.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("rw-new-message")) {
      checkLength();
    }
  });
  // After sending, the widget empties the field without an input event; the new
  // bubble then makes enhance() run, which checks again.

  new MutationObserver(enhance).observe(host, { childList: true, subtree: true });
  enhance();

  // A click with detail 0 comes from the keyboard (Enter or Space on a button):
  // then focus follows, into the message field on opening, back to the launcher on closing.
  host.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".rw-launcher, .rw-close-button");
    if (toggle && event.detail === 0) {
      var wasOpen = isOpen();
      focusInputWhenOpen = !wasOpen;
      focusLauncherWhenClosed = wasOpen;
    }
  }, true);

  host.addEventListener("keydown", function (event) {
    var reply = event.target.closest && event.target.closest(".rw-reply");
    if (reply && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      reply.click();
      if (input()) {
        input().focus();
      }
    } else if (event.key === "Escape" && isOpen()) {
      var closer = visibleLauncher();
      if (closer) {
        focusLauncherWhenClosed = true;
        closer.click();
      }
    }
  });

  // The page's own "Chat with our assistant" buttons open the widget.
  document.querySelectorAll("[data-open-chat]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!isOpen()) {
        var launcher = host.querySelector(".rw-launcher");
        if (launcher) {
          launcher.click();
        }
      }
      if (event.detail === 0 || window.matchMedia("(min-width: 801px)").matches) {
        focusInputWhenOpen = true;
        enhance();
      }
    });
  });

  // Keeps the open chat below the emergency line on small screens, however many
  // lines that takes.
  var emergency = document.querySelector(".emergency");
  function measureEmergencyLine() {
    document.documentElement.style.setProperty("--emergency-height", emergency.offsetHeight + "px");
  }
  if (emergency) {
    measureEmergencyLine();
    if (window.ResizeObserver) {
      new ResizeObserver(measureEmergencyLine).observe(emergency);
    } else {
      window.addEventListener("resize", measureEmergencyLine);
    }
  }
})();
