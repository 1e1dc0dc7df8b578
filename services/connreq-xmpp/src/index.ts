export { createXmppSession } from './xmpp-session.js';
