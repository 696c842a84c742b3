"""What the run script uses when neither an option nor the environment says.

Chosen when the project was generated; change them here.
"""

from .runtime.commands import Defaults

DEFAULTS = Defaults(
{%- if cookiecutter.default_database == "postgresql" %}
    # Start one locally, e.g.: docker run -d -p 5432:5432
    #   -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16 && createdb -h localhost
    #   -U postgres {{ cookiecutter.package_name }}
    database_url=f"postgresql+psycopg://postgres@localhost:5432/{__package__}",
{%- else %}
    database_url=f"sqlite:///var/{__package__}.sqlite3",
{%- endif %}
    runner="{{ cookiecutter.default_runner }}",
)
