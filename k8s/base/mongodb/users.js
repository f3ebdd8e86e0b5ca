// Run by rs-init.sh against the replica set (so writes go to the primary): one user per client,
// with readWrite on its own database only, created in the admin database (the connection
// strings use authSource=admin).
const env = process.env;
const admin = db.getSiblingDB("admin");
admin.auth(env.MONGODB_ADMIN_USERNAME, env.MONGODB_ADMIN_PASSWORD);
const fs = require("fs");
// CLIENTS: "name=database,..."; the connection string of each is the file /clients/<name>, from
// an optional Secret: a client whose Secret does not exist yet is skipped until the next round.
for (const pair of env.CLIENTS.split(",")) {
  const [name, database] = pair.split("=");
  const file = `/clients/${name}`;
  if (!fs.existsSync(file)) { print(`rs-init: no connection string for ${name} yet, skipped`); continue; }
  const uri = fs.readFileSync(file, "utf8").trim();
  const m = /^mongodb(?:\+srv)?:\/\/([^:@\/]+):([^@\/]+)@/.exec(uri);
  if (!m) { print(`rs-init: the connection string of ${name} has no user:password, skipped`); continue; }
  const user = decodeURIComponent(m[1]);
  const pwd = decodeURIComponent(m[2]);
  const roles = [{ role: "readWrite", db: database }];
  if (admin.getUser(user)) {
    admin.updateUser(user, { pwd: pwd, roles: roles });
  } else {
    admin.createUser({ user: user, pwd: pwd, roles: roles });
    print(`rs-init: created user ${user} (readWrite on ${database})`);
  }
}
