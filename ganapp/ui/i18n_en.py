"""The app's strings in English (see :mod:`ganapp.ui.i18n`)."""

EN: dict[str, str] = {
    "title": "# ganapp: train a GAN live, then explore its latent space",
    "subtitle": "Watch G and D play their game: losses, D(x) and D(G(z)) stream in while the samples sharpen.",
    "tab_train": "Train",
    "tab_explore": "Explore",
    "advanced": "Advanced",
    "start": "Start",
    "pause": "Pause",
    "resume": "Resume",
    "stop": "Stop",
    "reset": "Reset",
    "step": "Step",
    "step_n": "Steps per click",
    "export_gif": "Export time-lapse GIF",
    "gif_file": "Time-lapse GIF",
    "reproduce": "Reproduce this run",
    "reproduce_box": "The command that trains this run again from scratch",
    "reproduce_note": "Run it in a copy of ganapp: it trains {steps} steps from scratch with this run's settings and "
                      "seed, and on the CPU ends with the same weights, bit for bit, when the run trained in one go "
                      "at these settings (none changed on the way, no time limit, no single D or G updates, not "
                      "stacked with a class's runs).",
    "reproduce_timed_note": "This run has a time limit, and its learning rates fall with the clock over its last "
                            "{share}: the command keeps them constant, so it repeats the run only up to where they "
                            "began to fall.",
    "reproduce_data_note": "Its data ({dataset}: your upload or drawing) is a file on this server: the command names "
                           "its path here. Elsewhere, put a copy of your files there or change --data-path; without "
                           "them the run cannot be reproduced.",
    "losses_plot": "Losses",
    "scores_plot": "D(x) and D(G(z))",
    "critic_scores_plot": "D(x) and D(G(z)): critic scores (not probabilities)",
    "grid": "Samples from fixed_z",
    "scatter": "Real vs generated points",
    "step_axis": "step",
    "real": "real",
    "fake": "generated",
    "equilibrium": "equilibrium 0.5",
    "state_idle": "idle",
    "state_waiting": "waiting for a free trainer",
    "state_running": "running",
    "state_paused": "paused",
    "state_stopped": "stopped",
    "state_error": "error",
    "state_none": "not started: choose settings and press Start",
    "status_line": "**{state}** · step {step} · epoch {epoch} · {it_s:.1f} it/s · elapsed {elapsed} · "
                   "device {device}",
    "sharing_note": "{n} runs are training on this server at once: each gets a fair share of it.",
    "classroom_note": "Classroom mode: many people share this server, so this run uses smaller networks (width "
                      "{g_width}, batch {batch_size}) that let everyone train at full speed. Choose other sizes "
                      "and press Reset to override.",
    "your_name": "Your name (shown to your teacher, 1–32 characters)",
    "err_name": "Name must be 1 to 32 printable characters.",
    "teacher_title": "## Teacher's view",
    "teacher_token": "Teacher token",
    "teacher_sign_in": "Sign in",
    "teacher_signed_in": "Signed in. The class refreshes every second.",
    "teacher_refused": "Refused.",
    "the_class": "The class (click a run to show it large)",
    "sort_by": "Sort by",
    "sort_seat": "seat", "sort_name": "name", "sort_state": "state", "sort_step": "step", "sort_speed": "speed",
    "sort_score": "score",
    "unnamed": "Student {seat}",
    "card_modes": "{modes}/{n_modes} modes · {hq:.0%} HQ",
    "card_fd": "FD {fd:.1f} · {digits} digits",
    "class_empty": "No student has a run yet.",
    "shown_label": "Shown large",
    "shown_large": "Shown large: {name} ({dataset}, {model}, {loss}), step {step}",
    "class_lesson": "Lesson for the class",
    "set_lesson": "Set the lesson for all",
    "pause_all": "Pause all",
    "resume_all": "Resume all",
    "paused_n": "Paused {n} runs.",
    "resumed_n": "Resumed {n} runs.",
    "challenge": "Challenge",
    "challenge_all_modes": "First to cover every mode at ≥ 90% high quality (ring8, grid25)",
    "challenge_all_digits": "First to draw all 10 digits (MNIST)",
    "challenge_lowest_fd": "Lowest Fréchet distance (MNIST)",
    "start_challenge": "Start the challenge",
    "challenge_started": "The challenge has started: the leaderboard counts from now.",
    "leaderboard": "Leaderboard",
    "lb_rank": "rank", "lb_name": "name", "lb_dataset": "dataset", "lb_step": "step", "lb_score": "score",
    "lb_reached": "reached after",
    "export_class": "Export the class (.zip of checkpoints + CSV)",
    "export_file": "Class export",
    "err_server_full": "The server is full: it is training its maximum of {limit} runs. Try again in a minute.",
    "err_host_limit": "{field} = {value} is beyond this server's limit: choose a value in {range}.",
    "step_limit_reached": "This run has reached the server's limit of {limit} steps per run: press Reset to "
                          "start a new one.",
    "found_reattached": "Welcome back: this is your run from before. It went on training while the page was "
                        "closed.",
    "found_restored": "Your run came back from its autosave at step {step}, paused: press Resume to train on.",
    "found_restore_failed": "Your saved run could not be brought back (its data or file is gone). Choose "
                            "settings and press Start to begin a new one.",
    "applied_live": "Applied while training: {fields}.",
    "needs_reset": "Changed {fields}: press Reset to rebuild the networks with it.",
    "paused_reason": "Paused: {reason}",
    "rollback": "non-finite values at step {step} ({values}): G and D were rolled back to step {to}; try lower "
                "learning rates",
    "error_reason": "Training failed: {reason}. Press Reset to start again.",
    "formula_note_minimax": "Under minimax, D(x) and D(G(z)) head for 0.5 at equilibrium, where D can no longer "
                            "tell real from fake; G's loss saturates while D rejects its fakes confidently.",
    "formula_note_non_saturating": "G maximises log D(G(z)) instead of minimising log(1 − D(G(z))): same "
                                   "equilibrium (D(x) = D(G(z)) = 0.5), much stronger gradients early on.",
    "run_minutes": "Stop after (minutes of training, 0 = never)",
    "run_left": "Timed run: {left} left · learning rates × {scale:.2f}",
    "run_over": "Paused: the {minutes}-minute timed run is over (its learning rates decayed to 0 at the end). "
                "Resume trains on at the full rates.",
    "data_files": "Your images: a .zip, or image files (dataset 'folder')",
    "err_no_images": "Dataset 'folder' needs images: upload a .zip or some image files first.",
    "label": "Label (digit)",
    "label0": "Label at the start",
    "label1": "Label at the end",
    "err_conditional": "A conditional model needs labelled data ({labelled}); {dataset} has no labels.",
    "err_label_mode": "The label path needs a class-conditional generator.",
    "formula_note_lsgan": "D regresses real samples to 1 and fakes to 0; at equilibrium both D(x) and D(G(z)) "
                          "sit at 0.5. The scores are D's raw outputs, not probabilities.",
    "formula_note_hinge": "D wants real scores above +1 and fake scores below −1; G pushes its fakes' scores "
                          "up. The plot shows D's raw scores: the gap between them, not a 0.5 line, is what "
                          "closes as G improves.",
    "formula_note_wgan_gp": "The critic estimates the Wasserstein distance as E[D(x)] − E[D(G(z))]; the gradient "
                            "penalty keeps it 1-Lipschitz. Its scores are not probabilities: watch the gap "
                            "between the two curves shrink.",
    "formula_note_r1": "With R1 on, D's loss also pays γ/2 times its squared gradient on real data, which "
                       "damps oscillation near equilibrium.",
    "source": "Generator",
    "source_training": "This run's G (live)",
    "source_checkpoint": "Loaded checkpoint",
    "random_z": "Random z",
    "truncation": "Truncation ψ",
    "z_sliders": "First dimensions of z",
    "explore_image": "G(z)",
    "interpolation": "Interpolation",
    "seed0": "Seed of z0",
    "seed1": "Seed of z1",
    "mode": "Path",
    "n_frames": "Frames",
    "interpolate": "Interpolate",
    "strip": "z0 → z1",
    "interp_gif": "Interpolation GIF",
    "checkpoints": "Checkpoints",
    "save_ckpt": "Save current G",
    "ckpt_file": "Checkpoint file",
    "upload_ckpt": "Upload a .safetensors checkpoint",
    "shipped_ckpt": "Checkpoints in checkpoints/",
    "load_ckpt": "Load",
    "ckpt_loaded": "Loaded {name}: {model} on {dataset}, step {step}, z_dim {z_dim}.",
    "no_ckpt_loaded": "No checkpoint loaded yet.",
    "err_field": "{field} must be {kind} {range}; got {value}.",
    "err_choice": "{field} must be one of {choices}; got {value}.",
    "kind_int": "an integer in",
    "kind_num": "a number in",
    "err_no_run": "Nothing is training yet: press Start first.",
    "err_dcgan_2d": "The dcgan model needs an image dataset, but {dataset} is 2D: choose the mlp model.",
    "err_no_generator": "No generator yet: start training in the Train tab, or load a checkpoint.",
    "err_running_step": "Training is running: pause it before stepping.",
    "err_failed": "The run failed ({reason}): press Reset.",
    "err_data_missing": "The {dataset} files are not on this server, and they could not be downloaded: choose "
                        "another dataset (mnist_10k ships with the app).",
    "err_data_not_folder": "Your upload is neither images nor a .zip file: upload it again.",
    "err_data_no_images": "No readable images in your upload (.png, .jpg, .gif, .bmp, .webp or .tif, loose or in "
                          "a .zip).",
    "err_data_bad_drawing": "The drawing could not be read back: draw it again.",
    "err_settings": "These settings cannot be used together: check the values you changed last.",
    "err_unknown_field": "Unknown setting: {names}.",
    "err_image_too_large": "These images are too large to open safely (over {limit} pixels each): upload "
                           "smaller ones, e.g. under 5,000 × 5,000.",
    "err_no_frames": "No time-lapse frames yet: train for a moment first.",
    "err_reproduce_untrained": "Nothing to reproduce yet: train the run for a step first.",
    "err_reproduce_init": "This run started from the checkpoint {name}, not from scratch: no command trains it again "
                          "from scratch. Choose “Scratch” as the starting point and press Reset to start one that "
                          "can be.",
    "err_no_file": "Choose a checkpoint file first.",
    "err_ckpt_missing": "That checkpoint does not exist.",
    "err_ckpt_too_large": "That file is too large to be a ganapp checkpoint.",
    "err_ckpt_not_safetensors": "That file is not a safetensors checkpoint. ganapp never opens pickled "
                                ".pt/.pth files.",
    "err_ckpt_not_ganapp": "That safetensors file is not a ganapp checkpoint (no ganapp config inside).",
    "err_ckpt_bad_config": "That checkpoint holds an invalid config.",
    "err_ckpt_bad_weights": "That checkpoint's weights do not fit its own model.",
    "err_internal": "Something went wrong ({reason}). Your training is unaffected.",
    "worker_lost": "the server's training process stopped",
    "err_worker_lost": "The server's training process stopped, and this run with it. Press Reset to start it again.",
    "phase_d": "D update",
    "phase_g": "G update",
    "decision": "D: P(real)",
    "critic": "critic score",
    "arrows": "G's gradient (−∇ g_loss)",
    "manifold": "G's manifold (image of a z grid)",
    "layers": "Layers of the 2D view",
    "step_d": "Step D",
    "step_g": "Step G",
    "step_both": "Step both",
    "slow_motion": "Slow motion: seconds per update (0 = off)",
    "metrics2d_plot": "How close is G to the data?",
    "m2d_kl": "KL(real ‖ fake), grid",
    "m2d_js": "JS, grid",
    "m2d_modes": "modes covered",
    "m2d_high_quality": "high-quality samples",
    "m2d_reverse_kl": "reverse KL over modes",
    "m2d_g_grad": "G's pull ‖∇ₓ g_loss‖",
    "m2d_g_grad_b": "G's pull, run B",
    "alert_falling": "⚠️ **Mode collapse.** G now covers {modes} of {n_modes} modes, fewer than it did earlier. D "
                     "learned to reject the modes G was making, so G moved its samples to the few places D still "
                     "accepts, and the chase goes on. Try the non-saturating loss, an R1 penalty (γ = 0.1), a "
                     "lower learning rate for D, or WGAN-GP.",
    "alert_low": "⚠️ **Low mode coverage.** After many steps G still covers only {modes} of {n_modes} modes: it "
                 "found a few modes that fool D and stays there. Try the non-saturating loss, an R1 penalty "
                 "(γ = 0.1), a wider G, or WGAN-GP.",
    "lessons": "Lessons",
    "lesson_pick": "Choose a lesson",
    "preset_alternating": "Alternating updates, one at a time",
    "preset_alternating_text": "**The minimax game, one move at a time.** Press **Step D**, then **Step G**, and "
                               "read each update against the formula: D climbs both terms, "
                               "log D(x) + log(1 − D(G(z))), while G waits; then G lowers the second term "
                               "only, log(1 − D(G(z))), while D waits. Slow motion holds each update on screen "
                               "and the status names it.",
    "preset_saturation": "Saturation: minimax vs non-saturating",
    "preset_saturation_text": "**Saturation.** A strong D (5 steps of learning rate 0.01 per G step) soon "
                              "rejects every fake: D(G(z)) ≈ 0. There the minimax G loss log(1 − D(G(z))) is "
                              "flat, and G's arrows all but vanish. Run B, beside it, is the same run with the "
                              "non-saturating loss −log D(G(z)), which pulls hardest exactly there.",
    "preset_mode_collapse": "Mode collapse on grid25",
    "preset_mode_collapse_text": "**Mode collapse.** 25 Gaussians, the original minimax loss, no regulariser, a "
                                 "narrow G and D, and a G that learns five times faster than D. G's samples "
                                 "crowd into one or two clumps, D pushes them off, and they jump elsewhere: at "
                                 "any moment G covers a few of the 25 modes, and the alert stays on. Compare "
                                 "with grid25's defaults (R1 γ = 0.1), which cover all 25.",
    "preset_strong_d": "A too-strong D",
    "preset_strong_d_text": "**A too-strong D.** D takes 5 steps of learning rate 0.01 for each G step. D(x) "
                            "goes to 1 and D(G(z)) to 0, its map becomes a cliff, and G's arrows shrink to "
                            "nothing: G stops learning. Run B, beside it, has a balanced D (1 step of 0.001).",
    "preset_wgan_smooth": "WGAN-GP's smooth critic",
    "preset_wgan_smooth_text": "**A smooth critic.** WGAN-GP's gradient penalty keeps the critic's slope near 1 "
                               "everywhere, so every fake, however far from the data, gets an arrow towards "
                               "it. Run B, beside it, is the same run with the minimax loss: its D saturates, "
                               "and the fakes that have not reached the data get no pull at all.",
    "preset_mlp_vs_dcgan": "MLP GAN vs DCGAN on MNIST",
    "preset_mlp_vs_dcgan_text": "**MLP GAN vs DCGAN.** The same digits, the same loss and the same minutes: run "
                                "A is a DCGAN (convolutions), run B an MLP GAN (fully connected layers of 256, 512 "
                                "and 1024 units). Both "
                                "train for 3 minutes side by side; the live FD (lower is better) judges them.",
    "lesson_watch": "**What to watch:** {watch}",
    "lesson_alternating_watch": "after **Step D**, D's objective rises (D(G(z)) falls) and only the map changes; "
                                "after **Step G**, D(G(z)) rises and only the points move. The status boxes the "
                                "term each update follows.",
    "lesson_saturation_watch": "G's pull ‖∇ₓ g_loss‖ in the status and as a curve in the 2D metrics plot "
                               "(run B dashed), over the first 300 steps: under minimax it falls to a tenth or "
                               "less of the non-saturating one's.",
    "lesson_mode_collapse_watch": "the coverage in the status and the 2D metrics plot: 10 of 25 modes (40%) or "
                                  "fewer for most of two minutes, while the clumps hop. The run pauses at the "
                                  "moment G covers 4 or fewer.",
    "lesson_strong_d_watch": "D(x) → 1 and D(G(z)) → 0 in run A, and G's pull ‖∇ₓ g_loss‖ in the status: run "
                             "A's falls to 0 while run B's grows.",
    "lesson_wgan_smooth_watch": "G's pull on the fakes far from the data, in the status: near 1 for the critic "
                                "(run A), near 0 for the saturated D (run B).",
    "lesson_mlp_vs_dcgan_watch": "the two grids and the live FD in the status, each minute: the DCGAN's digits "
                                 "sharpen sooner, and its FD ends lower.",
    "lesson_pace": "Paced at {pace} steps/s, so steps {first} to {last} last {minutes} min on screen.",
    "lesson_budget_note": "The run pauses at step {steps}; Reset runs it again.",
    "lesson_run_b_note": "Start also starts run B beside it, with {changes}.",
    "lesson_now": "**Lesson: {lesson}**",
    "lesson_live_modes": "G covers **{modes} of {n_modes}** modes now ({share}).",
    "lesson_live_g_grad": "G's pull on its samples, ‖∇ₓ g_loss‖: run A **{a}**, run B **{b}** (B's is {ratio} "
                          "A's). Run A: D(x) = {d_x}, D(G(z)) = {d_g_z}.",
    "lesson_live_far": "G's pull on the fakes far from the data, ‖∇ₓ g_loss‖: run A (critic) **{a}**, run B "
                       "(minimax D) **{b}** (A's is {ratio} B's).",
    "lesson_live_phase_d": "On screen: **D's update**. D climbs log D(x) + log(1 − D(G(z))); G is frozen.",
    "lesson_live_phase_g": "On screen: **G's update**. G lowers log(1 − D(G(z))); D is frozen.",
    "lesson_live_phase_none": "Press **Step D**, then **Step G**.",
    "lesson_live_fd": "Live FD (lower is better): run A {a}, run B {b}.",
    "lesson_window_now": "Watch steps {first} to {last}; now at step {step}.",
    "lesson_mode_collapse_pause": "⏸ **The key moment** (step {step}): G covers only {modes} of {n_modes} modes, "
                                  "and D chases it from one clump to the next. Press Resume to watch it hop.",
    "lesson_budget": "⏸ The lesson's {steps} steps are done: compare what you saw, then Reset to run it again.",
    "for_teachers": "📘 [For teachers: a 45-minute class with this app](guide)",
    "draw": "Draw your own distribution",
    "draw_help": "Draw on the pad, then press the button: your strokes become 2,000 points, and the dataset "
                 "becomes `drawn`.",
    "use_drawing": "Train on my drawing",
    "drawing_saved": "Your drawing became {n} points; the dataset is now `drawn`. Press Start or Reset.",
    "err_no_drawing": "Draw a shape on the pad first (at least 10 pixels).",
    "err_drawn_missing": "Dataset `drawn` needs a drawing: draw on the pad and press \"Train on my drawing\".",
    "compare": "Side by side: a second run with one setting changed",
    "compare_help": "Run B trains beside your run A on the same data and seed, with one setting changed. Their "
                    "curves share the axes (B dashed) and their samples show next to each other. Start, Pause, "
                    "Resume, Step and Stop drive both; both count towards the server's trainer limit.",
    "compare_field": "Setting to change in run B",
    "compare_value": "Its value in run B",
    "start_compare": "Start A and B",
    "end_compare": "End run B",
    "compare_note": "Run A: {field} = {a}. Run B: {field} = {b}. Both started from scratch with the same seed.",
    "compare_ended": "Run B was stopped; run A goes on.",
    "compare_ended_by_reset": "Reset ended run B: start a new comparison to see two runs side by side again.",
    "compare_none": "There is no run B.",
    "err_compare_same": "Run B would be the same as run A ({field} = {value}): choose another value.",
    "smoothing": "Curve smoothing (EMA; 0 shows the raw curves)",
    "run_a": "A",
    "scatter_b": "Run B: real vs generated points",
    "run_b": "B",
    "run_b_status": "Run B ({diff}): **{state}**, step {step}, {it_s:.1f} it/s",
    "shown_checkpoint": "Showing the loaded checkpoint: {model} on {dataset}, step {step}.",
    "shown_run": "Showing this run's G as it trains: {model} on {dataset}, step {step}.",
    "shown_default": "Showing the shipped generator `{name}` until you train or load one.",
    "init": "Start from",
    "init_scratch_choice": "Scratch (fresh G and D)",
    "init_uploaded_choice": "My uploaded checkpoint",
    "init_scratch": "Training starts from freshly initialised networks.",
    "init_note": "Fine-tuning: Start goes on from step {step} of this {model} on {dataset} ({d}). Its settings "
                 "are in the controls; the learning rates and the loss can be changed.",
    "init_with_d": "its G and D",
    "init_fresh_d": "its G with a fresh D: the file holds no D",
    "err_no_upload_to_tune": "Upload a checkpoint in the Explore tab first, or pick another starting point.",
    "err_init_mismatch": "The chosen checkpoint does not fit these settings. Pick it again to restore its settings, "
                         "or start from scratch.",
    "quality_plot": "Quality (MNIST classifier)",
    "fd": "Fréchet distance",
    "fd_floor": "real vs real",
    "class_hist": "classes",
    "quality_caption": "At step {step}: Fréchet distance **{fd:.1f}** (real vs real: {floor:.1f}), "
                       "**{classes}/10** digits present, class KL from uniform **{kl:.3f}**, "
                       "{confident:.0%} recognised with confidence ≥ 0.9 ({n} samples, judged by the shipped "
                       "MNIST classifier). Falling classes or a rising KL is mode collapse.",
    "label_accuracy_note": "**{accuracy:.0%}** of the digits are the label G was given.",
    "directions": "Semantic directions (GANSpace)",
    "directions_help": "PCA of G's first layer over 2,000 samples (Härkönen et al. 2020): each slider moves the "
                       "image along one principal direction, in standard deviations. Directions belong to the G "
                       "they were found in: find them again after more training.",
    "find_directions": "Find directions",
    "directions_found": "Found the top {k} directions of this {model} ({where}): the sliders move the first {n}, "
                        "the view on 9 seeds below any of the {k}.",
    "direction_label": "Direction {i} ({share} of variance)",
    "direction_name": "Name of the current slider combination",
    "save_direction": "Save direction",
    "direction_saved": "Saved the direction \"{name}\". Pick it below and move its amount.",
    "saved_directions": "Saved directions",
    "direction_amount": "Amount",
    "download_directions": "Download directions",
    "directions_file": "Directions file (.safetensors)",
    "err_direction_unknown": "There is no saved direction called \"{name}\".",
    "err_directions_stale": "These directions were found in another generator: press \"Find directions\" again.",
    "err_directions_2d": "Directions are for image generators; 2D data has only two coordinates to move.",
    "err_no_directions": "Press \"Find directions\" first.",
    "err_direction_zero": "Every direction slider is at 0: move at least one before saving.",
    "kind_chars": "a name of this many characters:",
    "grid_title": "Direction on 9 seeds",
    "grid_help": "One direction on the chosen seed and the 8 next at once: left moved by −amount, middle as G "
                 "makes them, right moved by +amount. What changes in all nine alike is what the direction means. "
                 "The layer is where the edit enters G: 0 is GANSpace's own edit of the first layer; a later layer "
                 "gets the same edit's average effect there, without the earlier layers' response to each sample.",
    "grid_component": "Direction",
    "grid_amount": "Amount (σ)",
    "grid_layer": "Enter at layer",
    "show_grid": "Show on 9 seeds",
    "grid_image": "−amount · unedited · +amount",
    "grid_note": "Direction {i} ({share} of variance) on seeds {first}–{last}, ±{amount}σ, {where}.",
    "grid_at_layer": "entering G at layer {layer} of 0–{top}",
    "grid_one_layer": "at G's first layer (this G has no later layer for an edit to enter at)",
    "timelapse": "Time-lapse: one z across training",
    "timelapse_help": "The same z through the generators a run kept along the way (this run keeps G at "
                      "steps 0, 25, 50, 100, 150, 200, 300, 500 ...), or through checkpoints saved with "
                      "`python -m ganapp train --save-every N`.",
    "timelapse_source": "Generators",
    "timelapse_run": "This run",
    "timelapse_files": "Uploaded checkpoints",
    "make_timelapse": "Show the time-lapse",
    "timelapse_strip": "One z, step by step",
    "timelapse_gif": "Time-lapse GIF",
    "timelapse_steps": "Steps: {steps}",
    "err_timelapse_mixed": "These checkpoints do not come from one run (their z_dim, classes or data differ).",
    "err_timelapse_2d": "The time-lapse follows images; for 2D data, watch the scatter in the Train tab.",
    # ----- the teacher and lessons (issues 23 and 27): a lesson offered or applied, Start beside another run,
    # the teacher's cards, lessons a host's limits rule out -----
    "lesson_offer": "📣 **Your teacher set the lesson: {lesson}.** Its settings are in your controls.",
    "lesson_offer_start": "Press **Start** to run it.",
    "lesson_offer_reset": "Your run ({running}) goes on untouched: **Start** changes nothing while the controls hold "
                          "another run. Press **Reset** to build the lesson (your run ends), then **Start**.",
    "lesson_offer_live": "**Start** applies its settings to your run.",
    "lesson_applied_note": "📣 **Your teacher applied the lesson: {lesson}.** It is built and waits for you: press "
                           "**Start**.",
    "lesson_applied_kept": "Your run from before is kept as the checkpoint {name} ({dataset}, step {step}): explore "
                           "it in the Explore tab, or train on from it with Start from: uploaded.",
    "err_start_other_run": "The controls describe another run than yours ({changes}). Start changes nothing: press "
                           "Reset to build the run they describe (yours ends), or set them back to go on with yours.",
    "field_change": "{field}: {old} → {new}",
    "apply_now": "Apply now: pause every run, keep it as a checkpoint, build the lesson",
    "setting_lesson": "Setting the lesson…",
    "lesson_offered": "Every student's page now offers \"{lesson}\": its settings fill their controls, and each run "
                      "goes on untouched until its student presses Reset (or Start, without a run).",
    "lesson_applied": "\"{lesson}\" is built for {n} students, their runs paused and kept as checkpoints; each "
                      "presses Start.",
    "lesson_apply_failed": "For {n} it could not be built (the server's log says why); they got it as an offer.",
    "lesson_ruled_out": "\"{lesson}\" is off on this server: it needs {field} = {value}, beyond the host's limit "
                        "({allowed}).",
    "lesson_off_choice": "{lesson} (off on this server)",
    "max_steps": "steps per run",
    "pausing_all": "Pausing every run…",
    "resuming_all": "Resuming every run…",
    "card_head": "#{seat} · {name}",
    "card_state": "{state} · step {step} · {it_s:.0f} it/s",
    "card_lost": "lost with the training worker",
    "card_lesson": "lesson: {lesson}",
    "shown_left": "The student shown large has left.",
    "shown_large_lost": "{name}'s run was lost with the training worker.",
    "card_shown": "◀ shown large",
    # issue 27 (helper 4): files that lie, numerical faults, memory limits, autosaves that cannot be written
    "err_ckpt_non_finite": "That checkpoint's weights hold NaN or infinite values, so it is not loaded: a generator "
                           "with such weights draws nothing.",
    "err_ckpt_bad_step": "That checkpoint claims an impossible step: a step is a whole number from 0 to "
                         "1,000,000,000,000.",
    "err_model_memory": "This model would need about {need} MB of memory (its weights, Adam's moments, the copies "
                        "of G a run keeps, and the activations at its batch size), more than the {limit} MB this "
                        "server allows a run. Choose smaller widths, a smaller batch or smaller images.",
    "autosave_problem_disk_full": "Runs have not been saved for {minutes} min: the disk of the state folder is "
                                  "full. Each run keeps its last autosave; free some space and saving starts again.",
    "autosave_problem_read_only": "Runs have not been saved for {minutes} min: the state folder is read-only. Each "
                                  "run keeps its last autosave; make the folder writable and saving starts again.",
    "autosave_problem_io": "Runs have not been saved for {minutes} min: writing to the state folder fails ({error}). "
                           "Each run keeps its last autosave.",
    # visitors, runs and concurrency (issue 27)
    "err_drawing_too_large": "The drawing is {width} × {height} pixels: the pad takes drawings of at most {max} × "
                             "{max}.",
    # issue 23: a young full-size run moved into the class's sizes when the class arrived
    "classroom_moved": "Classroom mode: the class has arrived, so your run started again with the class's sizes "
                       "(width {g_width}, batch {batch_size}) after {step} steps at the full sizes. Runs of one "
                       "size train together, many times faster, and yours now trains as fast as everyone's. Choose "
                       "other sizes and press Reset to override.",
    # adversarial pass (issue 27): values no page sends, refused before a handler runs (ganapp.ui.blocks)
    "err_api_count": "This action takes {needed} values; the call sent {got}.",
    "err_api_file": "{field}: send a file uploaded to this server (the page uploads it for you), not a path or a "
                    "web address.",
    "err_api_number": "{field} must be a number; got {value}.",
    "err_api_value": "{field} cannot take {value}.",
    "err_api_call": "This call's values cannot be read: send each as the page does.",
    # issue 23, the student's page (helper 3): the sketchpad's label, settings listed by their labels, numbers
    # not measured yet, datasets not on this server, what the folder dataset's uploads hold
    "sketch": "Your drawing",
    "list_sep": ", ",
    "not_measured": "not measured yet",
    "not_a_number": "not a number",
    "lesson_fd_at": "**{fd}** at step {step}",
    "err_dataset_not_here": "The dataset {dataset} is not on this server (its files are not here, and it cannot "
                            "download them): choose one of {offered}.",
    "upload_total": "**{n} images** to train on: {parts}.",
    "upload_part": "{n} from {name}",
    "upload_other": "{name}: {n} files are not images (skipped).",
    "upload_too_large": "{name} is {width} × {height} pixels, over the {limit} an image may have: left out. Make it "
                        "smaller and upload it again.",
    "upload_none": "No images to train on in these files.",
    "upload_more": "Only the first {n} images are used.",
    "clear_files": "Clear the images",
    # the model diagram above the curves (ganapp.ui.diagram)
    "diagram_label": "The model: z → G → G(z), and x → D → D(x) and D(G(z)) → D's loss and G's loss",
    "diagram_noise": "z noise",
    "diagram_fake": "G(z) fake",
    "diagram_real": "x real",
    "diagram_d_loss": "D's loss {value}",
    "diagram_g_loss": "G's loss {value}",
    "diagram_moves": "updating",
    "diagram_frozen": "frozen",
    "diagram_follows_d": "D climbs both terms; G is frozen.",
    "diagram_follows_g": "G lowers the second term; D is frozen.",
    "diagram_idle": "Step D and Step G light up what each update moves.",
    # a setup as a link, hidden and locked controls, the teacher's push (ganapp.ui.links, ganapp.run.links)
    "copy_link": "Copy link",
    "link_box": "This setup's link (send it, or open it later: it rebuilds these settings)",
    "link_refused": "Not taken from the link: {why}",
    "link_locked": "🔒 Locked by this page's link: {fields}. They are the lesson's own settings; the server keeps "
                   "them as they are.",
    "link_locked_class": "🔒 Locked by your teacher: {fields}. They are the lesson's own settings; the server keeps "
                         "them as they are until your teacher changes them.",
    "err_locked": "{field} is locked at {value} for this lesson: the link or your teacher set it.",
    "lang": "Language",
    "hide": "Hidden controls",
    "lock": "Locked controls",
    "link": "Link",
    "push_link_box": "A link to push to the class (from a Train tab's \"Copy link\")",
    "push_lock": "Lock these controls for every student",
    "push_hide": "Hide these controls",
    "push_link": "Push the link to the class",
    "link_pushed": "The link reached the class ({locked} locked, {hidden} hidden); each student's settings show it "
                   "until they press Start or Reset.",
    "err_push_link": "The link was not pushed: {why}",
    "err_push_no_link": "Paste a link first (a Train tab's \"Copy link\" gives one).",
    # ZeroGPU: the GPU time of the chunks, and what happens when it runs out (ganapp.engine.zerogpu, ganapp.ui.live)
    "zerogpu_status": "GPU: ZeroGPU, a few seconds at a time · {used} used{left}",
    "zerogpu_left": " · {left} left",
    "zerogpu_then_cpu": "When this server's GPU time runs out, training goes on on the CPU, more slowly.",
    "zerogpu_then_pause": "When this server's GPU time runs out, the run pauses: press Resume once there is more.",
    "zerogpu_empty_cpu": "The GPU time has run out: training goes on on the CPU, more slowly, until there is more.",
    "zerogpu_empty_pause": "The GPU time has run out, so the run is paused: press Resume once ZeroGPU gives more.",
    # rooms: several classes at once (ganapp.host.rooms, python -m ganapp rooms)
    "room_name": "Room: {room}",
    "rooms_title": "Rooms",
    "rooms_intro": "Each room is a class of its own: open yours.",
    "rooms_teacher": "teacher's view",
    # issue 26, part 4 (helper 6): project an image back to z, in the Explore tab
    "project_title": "Project an image back to z",
    "project_help": "Draw a digit on the pad, or upload an image, and press **Find its z**: a search finds the z "
                    "(and, for a conditional G, the label) whose G(z) looks most like it, then sets the sliders "
                    "there, so that you move on from it. For image GANs only: a 2D (points) G makes no image to "
                    "match.",
    "project_pad": "Draw a digit",
    "project_upload": "…or upload an image (it is used instead of the drawing)",
    "project_button": "Find its z",
    "project_match": "Your image | G(z) found",
    "project_progress": "Searching z",
    "project_note": "Found from your {source} in {steps} steps from {starts} random starts{label}: distance "
                    "**{distance}** (mean squared pixel error; a random z: {random}). {held}",
    "project_held": "The z sliders{and_label} now hold this z{rest}: move them from here.",
    "project_and_label": " and the label",
    "project_rest": " (its other {rest} numbers too, until the seed changes)",
    "project_label": ", label {label}",
    "project_from_drawing": "drawing",
    "project_from_upload": "upload",
    "err_project_2d": "Finding an image's z is for image GANs only: this G makes 2D points, not images.",
    "err_project_nothing": "Draw a digit on the pad or upload an image first.",
    "err_project_not_image": "The upload is not an image that can be read (PNG, JPEG, GIF, BMP, WEBP or TIFF): "
                             "choose another file.",
    "err_project_too_large": "The image is {width} × {height} pixels: an image may have at most {limit} pixels. "
                             "Make it smaller and upload it again.",
    # issue 26 part 3, your own architecture and data (helper 5): a bad hidden-layers list, the points upload
    "err_layers": "{field}: “{value}” is not allowed. Give {layers} layer sizes, each a whole number in {range}, "
                  "separated by commas (e.g. 128,128), or leave it empty for the classic layers.",
    "points_file": "Or upload your own points: a CSV or .npy of two columns, x and y, up to 100,000 rows",
    "points_saved": "Your {n} points from {name} are the dataset `drawn` now, scaled into the view. Press Start or "
                    "Reset.",
    "err_points_too_large": "This file is {size} bytes; a points file may have at most {limit} bytes. Nothing was "
                            "changed.",
    "err_points_empty": "This file holds no points. Nothing was changed.",
    "err_points_not_numeric": "This file holds a value that is not a number: each row must be two numbers, x and y. "
                              "Nothing was changed.",
    "err_points_not_finite": "This file holds NaN or infinity: every value must be a finite number. Nothing was "
                             "changed.",
    "err_points_columns": "This file has {columns} columns; points need 2 (x and y). Nothing was changed.",
    "err_points_too_many_rows": "This file has more than {limit} rows. Nothing was changed.",
    "err_points_suffix": "Points come in a file ending in {suffixes}. Nothing was changed.",
    "err_points_unreadable": "This file cannot be read as points (a .npy must hold an (N, 2) array of numbers). "
                             "Nothing was changed.",
    # issue 25, training on a Ray cluster (helper 1): a run whose engine (a node of the cluster) stopped came back on
    # another one from its autosave (see ganapp.service.ray_service)
    "run_moved": "The machine that trained your run stopped. Your run came back on another one from its last "
                 "autosave, as it was then: at most its last minute of training was lost.",
}
