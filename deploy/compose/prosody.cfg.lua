-- Prosody for docker compose: the XMPP server CPEs keep a connection to and connreq-xmpp sends Annex K connection
-- requests through. The same settings as the test harness (packages/testkit/src/prosody.ts): one VirtualHost, the
-- ACS account as its admin (connreq-xmpp creates the CPEs' accounts with XEP-0133 ad-hoc commands), no s2s, no HTTP.
local domain = os.getenv("XMPP_DOMAIN") or "xmpp.acs.local"

pidfile = "/var/run/prosody/prosody.pid"
data_path = "/var/lib/prosody"
-- deploy/compose/certs/xmpp.crt and xmpp.key (see docker-compose.yml for the openssl line).
certificates = "/etc/prosody/certs"
ssl = { certificate = "/etc/prosody/certs/xmpp.crt"; key = "/etc/prosody/certs/xmpp.key" }
interfaces = { "*" }
c2s_ports = { 5222 }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_require_encryption = true
admins = { "acs@" .. domain }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "admin_adhoc" }
modules_disabled = { "s2s" }
authentication = "internal_hashed"
log = { info = "*console" }

VirtualHost(domain)
