"""python manage.py forecast [--model global_tide] [--horizon 28] [--shards 4] [--from auto] [--queue]

Runs a forecast in this process with a progress bar (train, then shard by shard, then make
it current), or with --queue hands it to the Celery workers (training on the gpu queue).
"""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from forecasting import services, tasks
from forecasting.ml.trainer import catalogue_settings
from forecasting.models import START_REQUESTS, ForecastRun
from inventory_site import progress


class Command(BaseCommand):
    help = "Train (or fine-tune) the forecasting model and write a new set of forecasts."

    def add_arguments(self, parser):
        parser.add_argument("--model", default="global_tide", choices=services.MODEL_CHOICES)
        parser.add_argument("--horizon", type=int, default=28)
        parser.add_argument("--shards", type=int, default=4)
        parser.add_argument("--from", dest="start", choices=START_REQUESTS, default="auto",
                            help="what the model starts from: the latest version of this catalogue, the pretrained "
                                 "checkpoint (zero-shot or fine-tuned, whichever the holdout prefers), or scratch; "
                                 "auto (default): latest if there is one, else pretrained (forecasting/starts.py)")
        parser.add_argument("--no-text", action="store_true", help="skip description embeddings")
        parser.add_argument("--no-explain", action="store_true", help="skip the per-forecast explanations")
        parser.add_argument("--max-epochs", type=int, help="cap training epochs (quick runs)")
        parser.add_argument("--train-seconds", type=float,
                            help="training budget in seconds (default: TrainConfig.max_seconds, 600)")
        parser.add_argument("--queue", action="store_true", help="dispatch to Celery workers and return at once")
        parser.add_argument("--mask-stockouts", choices=["both", "on", "off"], default="both",
                            help="treat long zero-sales runs as stock-outs, not demand: it helps grocery-like "
                                 "catalogues and hurts seasonal ones (forecasting/ml/availability.py); 'both' "
                                 "(default) averages a network trained each way")
        parser.add_argument("--weight-average", choices=["on", "off"], default="on",
                            help="keep a moving average of the weights rather than the last step's: it helps "
                                 "daily retail like M5 and hurts seasonal weekly catalogues like Online Retail "
                                 "(numbers in forecasting/ml/train.py, TrainConfig.ema_decay)")

    def handle(self, *args, **opts):
        options = {"start": opts["start"], "use_text": not opts["no_text"], "explain": not opts["no_explain"]}
        if opts["max_epochs"]:
            options["train"] = {"max_epochs": opts["max_epochs"]}
        if opts["train_seconds"]:
            options.setdefault("train", {})["max_seconds"] = opts["train_seconds"]
        catalogue = catalogue_settings(opts["mask_stockouts"], opts["weight_average"])
        if catalogue:
            options.setdefault("train", {}).update(catalogue)
        if opts["queue"]:
            run_id = tasks.run_forecast.delay(opts["model"], opts["horizon"], opts["shards"], options)
            self.stdout.write(f"queued: {run_id}")
            return
        try:
            run = services.create_run(opts["model"], opts["horizon"], opts["shards"], options)
        except services.ForecastError as exc:
            raise CommandError(str(exc)) from exc
        bar = tqdm(total=run.n_shards + 2, desc=f"forecast run {run.pk}", unit="step")
        try:
            with progress.echo_to(tqdm.write):  # epochs and shards print above the bar
                services.start(run)
                bar.set_postfix_str("training")
                services.train(run)
                bar.update(1)
                run.refresh_from_db()
                model = services.load_model(run)
                for i in range(run.n_shards):
                    bar.set_postfix_str(f"shard {i + 1}/{run.n_shards}")
                    services.predict_shard(run, i, run.n_shards, model=model)
                    bar.update(1)
                services.finalize(run)
                bar.update(1)
        except Exception as exc:
            services.mark_failed(run.pk, exc)
            bar.close()
            raise CommandError(f"forecast run {run.pk} failed: {exc}") from exc
        bar.close()
        run = ForecastRun.objects.get(pk=run.pk)
        m = run.metrics or {}
        self.stdout.write(self.style.SUCCESS(
            f"run {run.pk} succeeded: {run.n_series} series x {run.horizon} days, device {run.device or 'cpu'}, "
            f"model {run.get_start_display() or 'baseline'} ({run.start_note or 'no training'}); "
            f"holdout WRMSSE {m.get('wrmsse')} (seasonal naive {m.get('seasonal_naive_wrmsse')}), "
            f"80% coverage {m.get('coverage_80')} (count-data {m.get('coverage_80_pit')})"))
