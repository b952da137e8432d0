"""django-q entry points: thin, ids only."""


def job_run(job_id: int):
    from sync.jobs import job_run as run

    job = run(job_id)
    return job.status if job else "not claimed"


def jobs_recover():
    from sync.jobs import jobs_recover as recover

    return recover()


def connectors_tick():
    from sync.scheduling import connectors_tick as tick

    return tick()


def data_prune():
    from sync.retention import data_prune as prune

    return prune()
