"""Alembic environment: always runs on the connection modelreg hands it."""

from alembic import context

from modelreg.store.all_tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("modelreg migrations run through `modelreg db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
