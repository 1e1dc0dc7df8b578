#!/bin/sh
# Registers (or re-keys) the ACS's own account from CONNREQ_XMPP_PASSWORD, then runs Prosody in the foreground.
set -eu
: "${XMPP_DOMAIN:=xmpp.acs.local}"
: "${CONNREQ_XMPP_PASSWORD:?set CONNREQ_XMPP_PASSWORD}"
prosodyctl register acs "$XMPP_DOMAIN" "$CONNREQ_XMPP_PASSWORD"
exec prosody -F
