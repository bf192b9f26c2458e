/// The read-model schema files from `Migrations/`, embedded at build time by the
/// `EmbedMigrations` plugin (see `Plugins/EmbedMigrations`).
enum EmbeddedMigrations {}
