// Run by rs-init.sh on member 0 against the local mongod. Throws (non-zero exit) until done.
const env = process.env;
const members = [];
for (let i = 0; i < parseInt(env.MONGODB_MEMBERS, 10); i++) {
  members.push({ _id: i, host: `${env.STATEFULSET}-${i}.${env.GOVERNING_SERVICE}.${env.POD_NAMESPACE}.svc:27017` });
}
let initiated = true;
try {
  rs.status();
} catch (e) {
  if (e.codeName === "NotYetInitialized") {
    initiated = false;
  } else if (e.codeName !== "Unauthorized") {
    throw e;
  }
  // Unauthorized: users exist, so the replica set was initiated and the first user created.
}
if (!initiated) {
  print(`rs-init: initiating ${env.REPLICA_SET} with ${members.length} member(s)`);
  rs.initiate({ _id: env.REPLICA_SET, members: members });
}
const admin = db.getSiblingDB("admin");
// The first user: possible only through the localhost exception, i.e. while no user exists.
try {
  for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i++) sleep(1000);
  if (admin.getUsers().users.length === 0) {
    admin.createUser({ user: env.MONGODB_ADMIN_USERNAME, pwd: env.MONGODB_ADMIN_PASSWORD, roles: ["root"] });
    print("rs-init: created the admin user");
  }
} catch (e) {
  if (e.codeName !== "Unauthorized") throw e;
}
admin.auth(env.MONGODB_ADMIN_USERNAME, env.MONGODB_ADMIN_PASSWORD);
print("rs-init: replica set initiated and admin user present");
