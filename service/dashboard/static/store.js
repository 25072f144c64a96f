// What the views share: the conferences this key sees and the one chosen. Everything else
// belongs to the view that shows it.

const CONF_STORE = "hallway.conference";

let conferences = [];
let conference = null;

export function knownConferences() {
  return conferences;
}

export function setConferences(list) {
  conferences = list;
}

export function currentConference() {
  return conference;
}

export function chooseConference(value) {
  conference = value;
  if (value) sessionStorage.setItem(CONF_STORE, value.id);
}

export function savedConferenceId() {
  return sessionStorage.getItem(CONF_STORE);
}

export function forget() {
  conferences = [];
  conference = null;
  sessionStorage.removeItem(CONF_STORE);
}
