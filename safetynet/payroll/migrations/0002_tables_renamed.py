"""The tables taken over from the payments app get this app's names (payments_payrollrun →
payroll_payrollrun, payments_payment → payroll_payment; ALTER TABLE ... RENAME, every row kept),
their content types move to the new label (enrollments 0002 says how), and the background tasks
queued or recorded under the payments app's module paths are given the paths the functions have
now, so a task queued before the upgrade still runs after it.

Backward, all three the other way."""
import importlib

from django.db import migrations

enrollments_0002 = importlib.import_module("safetynet.enrollments.migrations.0002_tables_renamed")

MODELS = ["PayrollRun", "Payment"]

# Where each task module of the payments app went (issue 16).
TASK_MODULES = {
    "safetynet.payments.tasks.": "safetynet.payroll.tasks.",
    "safetynet.payments.restandard_tasks.": "safetynet.enrollments.restandard_tasks.",
    "safetynet.payments.trigger_tasks.": "safetynet.enrollments.trigger_tasks.",
}
# The policy simulation's task moved on its own (enrollments/simulation_tasks.py).
TASK_FUNCTIONS = {
    "safetynet.payments.tasks.simulate_policy_job": "safetynet.enrollments.simulation_tasks.simulate_policy_job",
}


def _renamed(path: str, functions: dict, modules: dict) -> str:
    if path in functions:
        return functions[path]
    for old, new in modules.items():
        if path.startswith(old):
            return new + path[len(old):]
    return path


def move_task_paths(functions: dict, modules: dict):
    def move(apps, schema_editor):
        DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
        db = schema_editor.connection.alias
        prefixes = {old.rsplit(".", 2)[0] for old in (*functions, *modules)}
        for prefix in prefixes:
            for row in DBTaskResult.objects.using(db).filter(task_path__startswith=prefix + ".").only("id", "task_path"):
                path = _renamed(row.task_path, functions, modules)
                if path != row.task_path:
                    DBTaskResult.objects.using(db).filter(pk=row.pk).update(task_path=path)
    return move


class Migration(migrations.Migration):

    dependencies = [
        ("payroll", "0001_initial"),
        ("enrollments", "0002_tables_renamed"),
        ("payments", "0009_moved_to_enrollments_and_payroll"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=name, table=None) for name in MODELS],
        migrations.RunPython(enrollments_0002.move_content_types("payments", "payroll", MODELS),
                             enrollments_0002.move_content_types("payroll", "payments", MODELS)),
        migrations.RunPython(move_task_paths(TASK_FUNCTIONS, TASK_MODULES),
                             move_task_paths({new: old for old, new in TASK_FUNCTIONS.items()},
                                             {new: old for old, new in TASK_MODULES.items()})),
    ]
