"""Stage 4, training: the task data, the Trainer, the joint (shared-encoder) model, the run that writes a run
directory, its reports and model cards. Imports every earlier stage; nothing imports it but the CLI."""
