"""ocrmill serve | worker | users | tokens | migrate | backup | restore | ocr, and the remote submit | invoice"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ocrmill.config import Settings, is_loopback, load_settings
from ocrmill.errors import OcrmillError

ADMIN_PASSWORD_ENV = "OCRMILL_ADMIN_PASSWORD"  # the first start's admin password; random (and logged) without it

if TYPE_CHECKING:
    from ocrmill.folders.watch import FolderWatcher
    from ocrmill.service.auth.principal import Principal
    from ocrmill.service.auth.tokens import TokenService
    from ocrmill.service.ocrjobs.folders import Deliveries, FolderService
    from ocrmill.service.webhooks import WebhookService
    from ocrmill.store.db import Database


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Debian's OpenMP Tesseract is 5x slower without it
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except OcrmillError as e:
        print(f"ocrmill: {e}", file=sys.stderr)  # a message (and the server's status for ocrmill.client's errors)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocrmill", description="Self-hosted OCR server.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the API (with workers unless --no-workers)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir", type=Path)
    serve.add_argument("--config", type=Path)
    serve.add_argument("--no-workers", action="store_true", help="API only; run `ocrmill worker` elsewhere")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=None,
        help="serve on a network address with authentication off (only behind something that authenticates)",
    )
    serve.set_defaults(func=_serve)

    worker = commands.add_parser("worker", help="run OCR workers only (for other machines)")
    worker.add_argument("--config", type=Path)
    worker.add_argument("--data-dir", type=Path)
    worker.set_defaults(func=_worker)

    migrate = commands.add_parser("migrate", help="create or upgrade the database tables")
    migrate.add_argument("--config", type=Path)
    migrate.add_argument("--data-dir", type=Path)
    migrate.set_defaults(func=_migrate)

    backup = commands.add_parser("backup", help="copy the database and the job files into DIR (while serving)")
    backup.add_argument("dir", type=Path, metavar="DIR", help="a new or empty folder")
    backup.add_argument("--config", type=Path)
    backup.add_argument("--data-dir", type=Path)
    backup.set_defaults(func=_backup)

    restore = commands.add_parser("restore", help="restore a backup into an empty data folder and database")
    restore.add_argument("dir", type=Path, metavar="DIR", help="a folder made by `ocrmill backup`")
    restore.add_argument("--config", type=Path)
    restore.add_argument("--data-dir", type=Path)
    restore.set_defaults(func=_restore)

    users = commands.add_parser("users", help="manage the users of Basic authentication")
    users.add_argument("--config", type=Path)
    users.add_argument("--data-dir", type=Path)
    user_commands = users.add_subparsers(required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--can-enum-folders", action="store_true", help="may list OCR folders (folders, folder)")
    add.add_argument("--can-post-folders", action="store_true", help="may post files to OCR folders")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_users_add)
    listing = user_commands.add_parser("list", help="list users")
    listing.set_defaults(func=_users_list)
    remove = user_commands.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(func=_users_remove)
    passwd = user_commands.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=_users_passwd)

    tokens = commands.add_parser("tokens", help="manage a user's API tokens (sent as Authorization: Bearer)")
    tokens.add_argument("--config", type=Path)
    tokens.add_argument("--data-dir", type=Path)
    token_commands = tokens.add_subparsers(required=True, metavar="ACTION")
    add_token = token_commands.add_parser("add", help="make a token and print it (the only time it is shown)")
    add_token.add_argument("name")
    add_token.add_argument("--user", required=True, help="the user whose rights the token has")
    add_token.add_argument("--read-only", action="store_true", help="refuse POST, PUT and DELETE with this token")
    add_token.add_argument("--expires", type=int, metavar="DAYS", help="valid for DAYS days (default: until revoked)")
    add_token.set_defaults(func=_tokens_add)
    list_tokens = token_commands.add_parser("list", help="list a user's tokens (never their secrets)")
    list_tokens.add_argument("--user", required=True)
    list_tokens.set_defaults(func=_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token")
    revoke.add_argument("name")
    revoke.add_argument("--user", required=True)
    revoke.set_defaults(func=_tokens_revoke)

    hooks = commands.add_parser("webhooks", help="manage webhook endpoints and see their deliveries")
    hooks.add_argument("--config", type=Path)
    hooks.add_argument("--data-dir", type=Path)
    hook_commands = hooks.add_subparsers(required=True, metavar="ACTION")
    add_hook = hook_commands.add_parser("add", help="register an endpoint and print its secret (shown only here)")
    add_hook.add_argument("url")
    add_hook.add_argument("--event", action="append", dest="events", metavar="EVENT", help="(repeat) default: all")
    add_hook.add_argument("--secret", help="the signing secret (default: one is made)")
    add_hook.add_argument("--description", default="")
    whose = add_hook.add_mutually_exclusive_group()
    whose.add_argument("--user", help="the user whose jobs it is for (default: the owner of jobs without auth)")
    whose.add_argument("--all-users", action="store_true", help="every user's jobs")
    add_hook.set_defaults(func=_webhooks_add)
    list_hooks = hook_commands.add_parser("list", help="list endpoints (never their secrets)")
    list_hooks.add_argument("--user", help="only this user's")
    list_hooks.set_defaults(func=_webhooks_list)
    remove_hook = hook_commands.add_parser("remove", help="remove an endpoint and its deliveries")
    remove_hook.add_argument("id", type=int)
    remove_hook.set_defaults(func=_webhooks_remove)
    deliveries = hook_commands.add_parser("deliveries", help="list deliveries, newest first, with their attempts")
    deliveries.add_argument("--webhook", type=int, metavar="ID")
    deliveries.add_argument("--job", metavar="ID")
    deliveries.add_argument("--state", choices=["pending", "delivered", "failed"])
    deliveries.add_argument("--limit", type=int, default=20)
    deliveries.set_defaults(func=_webhooks_deliveries)
    resend = hook_commands.add_parser("resend", help="send a delivery again (a new day of retries)")
    resend.add_argument("delivery")
    resend.set_defaults(func=_webhooks_resend)
    callback = hook_commands.add_parser(
        "callback-secret", help="print the secret a user's CallbackUrl calls are signed with"
    )
    callback.add_argument("--user", default="")
    callback.set_defaults(func=_webhooks_callback_secret)

    ocr = commands.add_parser("ocr", help="OCR local files without a server")
    ocr.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    ocr.add_argument("--out", type=Path, required=True, metavar="DIR")
    ocr.add_argument("--set", action="append", default=[], metavar="Name=Value", help="a job property")
    ocr.add_argument("--config", type=Path)
    ocr.set_defaults(func=_ocr)

    from ocrmill import cli_remote  # here: it uses job_properties and unique_stem of this module

    cli_remote.add_commands(commands)
    return parser


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    return load_settings(getattr(args, "config", None), data_dir=getattr(args, "data_dir", None), **overrides)


def _logging(settings: Settings) -> None:
    from ocrmill.logs import configure

    configure(settings.log_format)


def _database(settings: Settings, *, files: bool = False) -> Database:
    """The migrated database. The data folder is checked first when the database is in it (SQLite) or when the
    command writes `files` there (serve, worker), so that a folder this user cannot write is said to be one."""
    from ocrmill.store.db import Database
    from ocrmill.store.migrate import upgrade
    from ocrmill.store.writable import require_writable

    if files or not settings.database_url:
        require_writable(settings.data_dir, what="the data folder")
    db = Database(settings.effective_database_url)
    upgrade(db)
    return db


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ocrmill.api.app import create_app
    from ocrmill.api.metrics import RequestMetrics
    from ocrmill.api.polling import FastPolling
    from ocrmill.errors import InsecureBind
    from ocrmill.service.auth.first_admin import ensure_first_admin
    from ocrmill.service.auth.passwords import acceptable
    from ocrmill.service.operations.housekeeping import Housekeeper
    from ocrmill.worker.supervisor import Supervisor

    settings = _settings(args, host=args.host, port=args.port, insecure_no_auth=args.insecure_no_auth)
    _logging(settings)
    if settings.exposed_without_auth:
        raise InsecureBind()
    if not settings.auth and settings.insecure_no_auth and not is_loopback(settings.host):
        logging.getLogger("ocrmill.auth").warning(
            "serving on %s without authentication (insecure_no_auth): anyone who reaches it is an administrator",
            settings.host,
        )
    admin_password = os.environ.get(ADMIN_PASSWORD_ENV) or None
    if settings.auth and admin_password:
        acceptable(admin_password, name=ADMIN_PASSWORD_ENV)  # refused before anything is started
    db = _database(settings, files=True)
    if settings.auth:
        ensure_first_admin(db=db, password=admin_password)
    workers = settings.jobs_threads + (settings.folders_threads if settings.folders else 0)
    supervisor = None if args.no_workers else Supervisor(settings, db, count=workers)
    housekeeper = Housekeeper(settings, db)
    app = create_app(settings, db=db, wake_workers=supervisor.wake_all if supervisor else None)
    watcher = _folder_watcher(app.state.folders)
    deliveries = _folder_deliveries(app.state.folders)
    if supervisor:
        supervisor.start()
    housekeeper.start()
    if watcher:
        watcher.start()
    if deliveries:
        deliveries.start()
    site = f"http://{settings.host}:{settings.port}"
    print(
        f"ocrmill serving on {site}{settings.api_prefix}/ocrjobs (invoices: {site}{settings.api_prefix}/v1, "
        f"console: {site}/)",
        flush=True,
    )
    # uvicorn shuts down on SIGTERM and then raises it again under the handler it found: the default one would
    # end this process there, leaving busy workers running without it. This one lets the finally below stop them.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        served = RequestMetrics(FastPolling(app), app.state.http_metrics)
        # uvicorn logs through our handler and format (log_config=None) and writes no access log of its own:
        # RequestMetrics writes one line per request (api.access)
        uvicorn.run(
            served, host=settings.host, port=settings.port, log_level="warning", access_log=False, log_config=None
        )
    finally:
        if watcher:
            watcher.stop()
        if deliveries:
            deliveries.stop()
        housekeeper.stop()
        if supervisor:
            supervisor.stop()
    return 0


def _exit_on_signal(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)  # asked to stop, and stopped cleanly


FOLDER_RETRY_MAX_SECONDS = 60.0  # a claimed file whose job could not be made is tried again at most this far apart


def _folder_watcher(folders: FolderService) -> FolderWatcher | None:
    """The OCR folders' watcher, after the files a previous run had taken but not handed over are."""
    from ocrmill.folders.watch import FolderWatcher

    usable = folders.prepare()
    if not usable:
        return None
    settings = folders.settings
    log = logging.getLogger("ocrmill.folders")

    def take(folder_id: str, claimed: Path, name: str, attempt: int = 0) -> None:
        try:
            folders.take(folder_id, claimed, name)
        except Exception as e:  # the database or the disk is away: the file stays claimed and is tried again later
            if not claimed.exists():
                log.exception("could not make a job of %s", claimed)
                return
            delay = min(FOLDER_RETRY_MAX_SECONDS, settings.folder_poll_seconds * 2**attempt)
            if attempt == 0:
                log.exception("could not make a job of %s; trying again in %.0f s", claimed, delay)
            else:
                log.warning("could not make a job of %s (%s); trying again in %.0f s", claimed, e, delay)
            retry = threading.Timer(delay, take, (folder_id, claimed, name, attempt + 1))
            retry.daemon = True  # a file still claimed when the server stops is handed over at the next start
            retry.start()

    watcher = FolderWatcher(
        [(f.key, f.input, f.extensions) for f in usable],
        stable_seconds=settings.folder_stable_seconds,
        poll_seconds=settings.folder_poll_seconds,
        on_file=take,
    )
    for folder_id, claimed, name in watcher.recover():
        take(folder_id, claimed, name)
    return watcher


def _folder_deliveries(folders: FolderService) -> Deliveries | None:
    """What delivers the results of this server's folders' jobs, whichever worker converted them."""
    from ocrmill.service.ocrjobs.folders import Deliveries

    settings = folders.settings
    if not settings.folders:
        return None
    every = min(settings.folder_poll_seconds, 1.0)
    return Deliveries(settings=settings, db=folders.db, files=folders.files, every=every)


def _worker(args: argparse.Namespace) -> int:
    import threading

    from ocrmill.service.operations.housekeeping import Housekeeper
    from ocrmill.worker.supervisor import Supervisor

    settings = _settings(args)
    _logging(settings)
    db = _database(settings, files=True)
    supervisor = Supervisor(settings, db, count=settings.jobs_threads)
    housekeeper = Housekeeper(settings, db)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    supervisor.start()
    housekeeper.start()
    stop.wait()  # the workers poll the job table every poll_seconds; nothing here tells them of new jobs
    housekeeper.stop()
    supervisor.stop()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _database(settings)
    print(f"database is up to date: {_redacted(settings.effective_database_url)}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from ocrmill.service.operations.backup import backup

    summary = backup(_settings(args), args.dir)
    for name in summary.missing:
        print(f"ocrmill: warning: {name} was deleted before it could be copied", file=sys.stderr)
    print(
        f"backed up {summary.jobs} jobs and {summary.invoice_jobs} invoice jobs: {summary.files} files, "
        f"{summary.bytes / 2**20:.1f} MB in {args.dir}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from ocrmill.service.operations.backup import restore

    settings = _settings(args)
    manifest = restore(settings, args.dir)
    print(
        f"restored the backup of {manifest['created']} (ocrmill {manifest['ocrmill_version']}): {manifest['jobs']} "
        f"jobs and {manifest['invoice_jobs']} invoice jobs into {settings.data_dir}"
    )
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _password(args: argparse.Namespace) -> str:
    from ocrmill.service.auth.passwords import acceptable

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise OcrmillError("the passwords differ")
    return acceptable(password)


def _users_add(args: argparse.Namespace) -> int:
    from ocrmill.service.auth.passwords import hash_password
    from ocrmill.store import users
    from ocrmill.store.db import utcnow

    db = _database(_settings(args))
    with db.read() as session:
        if users.get_user(session=session, name=args.name):
            raise OcrmillError(f"user {args.name!r} exists already")
    if not args.name or ":" in args.name:
        raise OcrmillError("a user name must not be empty or contain ':'")
    password_hash = hash_password(_password(args))
    with db.write() as session:
        users.add_user(
            session=session,
            name=args.name,
            password_hash=password_hash,
            is_admin=args.admin,
            now=utcnow(),
            can_enum_folders=args.can_enum_folders,
            can_post_folders=args.can_post_folders,
        )
    rights = [r for r, on in (("enum folders", args.can_enum_folders), ("post folders", args.can_post_folders)) if on]
    print(f"added {'admin ' if args.admin else ''}user {args.name}{' (' + ', '.join(rights) + ')' if rights else ''}")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from ocrmill.store import users

    db = _database(_settings(args))
    with db.read() as session:
        for user in users.list_users(session=session):
            rights = [r for r, on in (("enum-folders", user.can_enum_folders), ("post-folders", user.can_post_folders))
                      if on]  # fmt: skip
            print(f"{user.name}\t{'admin' if user.is_admin else 'user'}{chr(9) + ','.join(rights) if rights else ''}")
    return 0


def _users_remove(args: argparse.Namespace) -> int:
    from ocrmill.store import users

    db = _database(_settings(args))
    with db.write() as session:
        if not users.remove_user(session=session, name=args.name):
            raise OcrmillError(f"there is no user {args.name!r}")
    print(f"removed user {args.name}")
    return 0


def _users_passwd(args: argparse.Namespace) -> int:
    from ocrmill.service.auth.passwords import hash_password
    from ocrmill.store import users

    db = _database(_settings(args))
    password_hash = hash_password(_password(args))
    with db.write() as session:
        user = users.get_user(session=session, name=args.name)
        if user is None:
            raise OcrmillError(f"there is no user {args.name!r}")
        user.password_hash = password_hash
    print(f"password of {args.name} changed")
    return 0


def _token_service(args: argparse.Namespace) -> tuple[TokenService, Principal]:
    from ocrmill.service.auth.principal import Principal
    from ocrmill.service.auth.tokens import TokenService
    from ocrmill.store import users

    db = _database(_settings(args))
    with db.read() as session:
        if users.get_user(session=session, name=args.user) is None:
            raise OcrmillError(f"there is no user {args.user!r}")
    return TokenService(db=db), Principal(name=args.user, is_admin=False)


def _tokens_add(args: argparse.Namespace) -> int:
    service, owner = _token_service(args)
    token = service.create(owner, args.name, read_only=args.read_only, expires_days=args.expires)
    print(token["token"])
    kind = "read-only token" if token["readOnly"] else "token"
    until = f", expires {token['expires']}" if token["expires"] else ""
    print(f"added {kind} {token['name']} of user {args.user}{until}; it is not shown again", file=sys.stderr)
    return 0


def _tokens_list(args: argparse.Namespace) -> int:
    service, owner = _token_service(args)
    for token in service.list(owner):
        state = "expired" if token["expired"] else f"expires {token['expires']}" if token["expires"] else "no expiry"
        print(f"{token['name']}\t{'read-only' if token['readOnly'] else 'read-write'}\t{state}")
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    service, owner = _token_service(args)
    service.revoke(owner, args.name)
    print(f"revoked token {args.name} of user {args.user}")
    return 0


def _webhook_service(args: argparse.Namespace, user: str | None = None) -> tuple[WebhookService, Principal]:
    """The service, and the CLI as an administrator (as `user` when one is named: it must exist)."""
    from ocrmill.service.auth.principal import Principal
    from ocrmill.service.webhooks import WebhookService
    from ocrmill.store import users

    settings = _settings(args)
    db = _database(settings)
    if user:
        with db.read() as session:
            if users.get_user(session=session, name=user) is None:
                raise OcrmillError(f"there is no user {user!r}")
    return WebhookService(settings=settings, db=db), Principal(name=user or "", is_admin=True)


def _webhooks_add(args: argparse.Namespace) -> int:
    service, admin = _webhook_service(args, args.user)
    hook = service.create(
        admin,
        url=args.url,
        events=args.events,
        secret=args.secret,
        all_users=args.all_users,
        description=args.description,
    )
    print(hook["secret"])
    whose = "every user's jobs" if hook["allUsers"] else f"jobs of user {hook['owner'] or '(none: auth off)'}"
    print(f"added webhook {hook['id']} for {whose}: {', '.join(hook['events'])}", file=sys.stderr)
    return 0


def _webhooks_list(args: argparse.Namespace) -> int:
    from ocrmill.service.auth.principal import Principal

    service, admin = _webhook_service(args, args.user)
    who = Principal(name=args.user, is_admin=False) if args.user else admin
    for hook in service.list(who):
        whose = "all users" if hook["allUsers"] else hook["owner"] or "-"
        print(f"{hook['id']}\t{hook['url']}\t{whose}\t{','.join(hook['events'])}\t{hook['description']}")
    return 0


def _webhooks_remove(args: argparse.Namespace) -> int:
    service, admin = _webhook_service(args)
    service.remove(admin, args.id)
    print(f"removed webhook {args.id}")
    return 0


def _webhooks_deliveries(args: argparse.Namespace) -> int:
    service, admin = _webhook_service(args)
    if not 1 <= args.limit <= 100:
        raise OcrmillError("--limit is 1 to 100")
    found = service.deliveries(admin, webhook_id=args.webhook, job_id=args.job, state=args.state, limit=args.limit)
    for d in found["deliveries"]:
        attempts = " ".join(str(a["statusCode"] or "error") for a in d["attempts"]) or "-"
        print(f"{d['id']}\t{d['event']}\tjob {d['jobId']}\t{d['state']}\tattempts: {attempts}\t{d['url']}")
    print(f"{len(found['deliveries'])} of {found['total']} deliveries", file=sys.stderr)
    return 0


def _webhooks_resend(args: argparse.Namespace) -> int:
    service, admin = _webhook_service(args)
    service.send_again(admin, args.delivery)
    print(f"delivery {args.delivery} is pending again")
    return 0


def _webhooks_callback_secret(args: argparse.Namespace) -> int:
    service, admin = _webhook_service(args, args.user)
    print(service.callback_secret(admin)["secret"])
    return 0


def _ocr(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ocrmill.domain.options import JobOptions
    from ocrmill.domain.status import SUPPORTED_EXTENSIONS
    from ocrmill.pipeline.engine import EnginePool
    from ocrmill.pipeline.languages import tessdata_dir
    from ocrmill.pipeline.pages import InputFile, limit_pixels
    from ocrmill.pipeline.run import Limits, run_job

    settings = load_settings(args.config)
    body = job_properties(args.set)
    options = JobOptions(RetentionDays=1).merged(body, max_retention_days=settings.max_retention_days)
    engines = EnginePool(tessdata_dir(settings.tessdata_dir))
    limits = Limits(settings.max_pages, settings.max_image_megapixels)
    limit_pixels(settings.max_image_pixels)
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    taken: set[str] = set()
    for path in args.inputs:
        ext = path.suffix.lstrip(".").upper()
        problem = (
            "no such file"
            if not path.is_file()
            else None
            if ext in SUPPORTED_EXTENSIONS
            else f"not a supported file type (supported: {', '.join(SUPPORTED_EXTENSIONS)})"
        )
        if problem:
            print(f"{path}: {problem}", file=sys.stderr)
            failures += 1
            continue
        stem = unique_stem(path.stem, taken)
        with tempfile.TemporaryDirectory(prefix="ocrmill-") as tmp, tqdm(desc=path.name, unit="page") as bar:

            def progress(done: int, total: int, bar: Any = bar) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                result = run_job(
                    inputs=[InputFile(path.resolve(), ext)],
                    options=options,
                    out_dir=Path(tmp) / "out",
                    work_dir=Path(tmp) / "work",
                    engines=engines,
                    limits=limits,
                    threads=min(options.NrOfOCRThreads, settings.max_threads_per_job),
                    on_page=progress,
                )
            except OcrmillError as e:
                bar.close()
                print(f"{path}: {e.message}", file=sys.stderr)
                failures += 1
                continue
            for ext_out in result.outputs:
                os.replace(Path(tmp) / "out" / f"result.{ext_out}", args.out / f"{stem}.{ext_out}")
    return 1 if failures else 0


def job_properties(items: list[str]) -> dict[str, object]:
    """The job properties of --set Name=Value options (the server or JobOptions checks names and values)."""
    body: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise OcrmillError(f"--set takes Name=Value, not {item!r}")
        body[name.strip()] = value.strip()
    return body


def unique_stem(stem: str, taken: set[str]) -> str:
    """Inputs with the same name from different folders get -2, -3, ... rather than overwriting."""
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate)
    return candidate


if __name__ == "__main__":
    sys.exit(main())
