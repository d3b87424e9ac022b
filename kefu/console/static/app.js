// The console's entry: sign-in, the language switch, and the three views.
import { ApiError, getJson, token } from "./api.js";
import { say } from "./dom.js";
import { applyLabels, t, toggleLanguage } from "./i18n.js";
import { setUpReports } from "./reports.js";
import { startWallboard, stopWallboard } from "./wallboard.js";
import "./audit.js";

const signIn = document.getElementById("sign-in");
const tabs = document.getElementById("tabs");
const signOut = document.getElementById("sign-out");
const views = ["reports", "wallboard", "audit"];

function show(view) {
  for (const name of views) document.getElementById(name).hidden = name !== view;
  for (const button of tabs.querySelectorAll("button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (view === "wallboard") startWallboard();
  else stopWallboard();
  history.replaceState(null, "", `#${view}`);
}

function signedIn(yes) {
  signIn.hidden = yes;
  tabs.hidden = !yes;
  signOut.hidden = !yes;
  if (!yes) {
    stopWallboard();
    for (const name of views) document.getElementById(name).hidden = true;
  }
}

// A token is accepted when the API answers with it: 401 refuses it; a 403 (a role that may not
// read reports) still signs in, and each view shows what that role may read.
async function tryToken(value) {
  token.set(value);
  try {
    await getJson("/console/wallboard");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      token.clear();
      throw new Error(t("signIn.bad"));
    }
  }
}

async function enter() {
  signedIn(true);
  await setUpReports();
  const wanted = location.hash.slice(1);
  show(views.includes(wanted) ? wanted : "reports");
}

signIn.addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = document.getElementById("token");
  try {
    await tryToken(field.value.trim());
    field.value = "";
    say("");
    await enter();
  } catch (error) {
    say(error.message, true);
  }
});

signOut.addEventListener("click", () => {
  token.clear();
  signedIn(false);
});

tabs.addEventListener("click", (event) => {
  const view = event.target.closest("button")?.dataset.view;
  if (view) show(view);
});

document.getElementById("language").addEventListener("click", () => {
  toggleLanguage();
  setUpReports();
});

applyLabels();
if (token.get()) enter();
else signedIn(false);
