"""Every string the app shows, in English and 简体中文. ``t(lang, key, **fields)`` formats one.

Keys are shared by both languages (a test checks that neither lacks one), and format fields are named, so a
translation can move them.
"""

from __future__ import annotations

from ..config import SETTINGS

LANGS = {"en": "English", "zh": "简体中文"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "# ganapp: train a GAN live, then explore its latent space",
        "subtitle": "Watch G and D play their game: losses, D(x) and D(G(z)) stream in while the samples sharpen.",
        "language": "Language",
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
        "name_saved": "Your teacher sees you as: {name}",
        "err_name": "Name must be 1 to 32 printable characters.",
        "lesson_from_teacher": "Your teacher set the lesson: {lesson}. Its settings are in the controls: press Start "
                               "(press Reset first if a run is under way).",
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
        "card_caption": "{name} · {state} · step {step} · {it_s:.0f} it/s{score}",
        "card_modes": " · {modes}/{n_modes} modes, {hq:.0%} HQ",
        "card_fd": " · FD {fd:.1f}, {digits} digits",
        "class_empty": "No student has a run yet.",
        "shown_label": "Shown large",
        "shown_large": "Shown large: {name} ({dataset}, {model}, {loss}), step {step}",
        "class_lesson": "Lesson for the class",
        "set_lesson": "Set the lesson for all",
        "lesson_set": "Every student's page now shows the lesson \"{lesson}\"; each still presses Start.",
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
        "source_training": "This session's G (live)",
        "source_checkpoint": "Loaded checkpoint",
        "random_z": "Random z",
        "truncation": "Truncation ψ",
        "z_sliders": "First dimensions of z",
        "z_slider": "z[{i}]",
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
        "err_no_session": "Nothing is training yet: press Start first.",
        "err_dcgan_2d": "The dcgan model needs an image dataset, but {dataset} is 2D: choose the mlp model.",
        "err_no_generator": "No generator yet: start training in the Train tab, or load a checkpoint.",
        "err_running_step": "Training is running: pause it before stepping.",
        "err_failed": "The session failed ({reason}): press Reset.",
        "err_dataset": "Dataset unavailable: {reason}",
        "err_settings": "These settings cannot be used together: check the values you changed last.",
        "err_unknown_field": "Unknown setting: {names}.",
        "err_image_too_large": "These images are too large to open safely (over {limit} pixels each): upload "
                               "smaller ones, e.g. under 10,000 × 10,000.",
        "err_no_frames": "No time-lapse frames yet: train for a moment first.",
        "err_no_file": "Choose a checkpoint file first.",
        "err_ckpt_missing": "That checkpoint does not exist.",
        "err_ckpt_too_large": "That file is too large to be a ganapp checkpoint.",
        "err_ckpt_not_safetensors": "That file is not a safetensors checkpoint. ganapp never opens pickled "
                                    ".pt/.pth files.",
        "err_ckpt_not_ganapp": "That safetensors file is not a ganapp checkpoint (no ganapp config inside).",
        "err_ckpt_bad_config": "That checkpoint holds an invalid config.",
        "err_ckpt_bad_weights": "That checkpoint's weights do not fit its own model.",
        "err_internal": "Something went wrong ({reason}). Your training is unaffected.",
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
        "lesson_twin_note": "Start also starts run B beside it, with {changes}.",
        "lesson_now": "**Lesson: {lesson}**",
        "lesson_live_modes": "G covers **{modes} of {n_modes}** modes now ({share}).",
        "lesson_live_g_grad": "G's pull on its samples, ‖∇ₓ g_loss‖: run A **{a}**, run B **{b}** (B's is {ratio} "
                              "A's). Run A: D(x) = {d_x}, D(G(z)) = {d_g_z}.",
        "lesson_live_far": "G's pull on the fakes far from the data, ‖∇ₓ g_loss‖: run A (critic) **{a}**, run B "
                           "(minimax D) **{b}** (A's is {ratio} B's).",
        "lesson_live_phase_d": "On screen: **D's update**. D climbs log D(x) + log(1 − D(G(z))); G is frozen.",
        "lesson_live_phase_g": "On screen: **G's update**. G lowers log(1 − D(G(z))); D is frozen.",
        "lesson_live_phase_none": "Press **Step D**, then **Step G**.",
        "lesson_live_fd": "Live FD (lower is better): run A **{a}** at step {step_a}, run B **{b}** at step {step_b}.",
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
        "twin_status": "Run B ({diff}): **{state}**, step {step}, {it_s:.1f} it/s",
        "shown_checkpoint": "Showing the loaded checkpoint: {model} on {dataset}, step {step}.",
        "shown_session": "Showing this session's G as it trains: {model} on {dataset}, step {step}.",
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
        "err_init_mismatch": "The chosen checkpoint does not fit these settings ({reason}). Pick it again to restore "
                             "its settings, or start from scratch.",
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
        "directions_found": "Found the top {k} directions of this {model} ({where}).",
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
        "timelapse": "Time-lapse: one z across training",
        "timelapse_help": "The same z through the generators a run kept along the way (this session keeps G at "
                          "steps 0, 25, 50, 100, 150, 200, 300, 500 ...), or through checkpoints saved with "
                          "`python -m ganapp train --save-every N`.",
        "timelapse_source": "Generators",
        "timelapse_run": "This session's run",
        "timelapse_files": "Uploaded checkpoints",
        "make_timelapse": "Show the time-lapse",
        "timelapse_strip": "One z, step by step",
        "timelapse_gif": "Time-lapse GIF",
        "timelapse_steps": "Steps: {steps}",
        "err_timelapse_mixed": "These checkpoints do not come from one run (their z_dim, classes or data differ).",
        "err_timelapse_2d": "The time-lapse follows images; for 2D data, watch the scatter in the Train tab.",
        "warn_2d_explore": "2D dataset: the Explore view shows points, not images.",
    },
    "zh": {
        "title": "# ganapp：实时训练 GAN，探索它的潜在空间",
        "subtitle": "观看 G 与 D 的博弈：损失、D(x) 与 D(G(z)) 实时更新，样本逐渐清晰。",
        "language": "语言",
        "tab_train": "训练",
        "tab_explore": "探索",
        "advanced": "高级设置",
        "start": "开始",
        "pause": "暂停",
        "resume": "继续",
        "stop": "停止",
        "reset": "重置",
        "step": "单步",
        "step_n": "每次单步的步数",
        "export_gif": "导出延时 GIF",
        "gif_file": "延时 GIF",
        "losses_plot": "损失",
        "scores_plot": "D(x) 与 D(G(z))",
        "critic_scores_plot": "D(x) 与 D(G(z))：判别器原始得分（不是概率）",
        "grid": "fixed_z 生成的样本",
        "scatter": "真实点与生成点",
        "step_axis": "步数",
        "real": "真实",
        "fake": "生成",
        "equilibrium": "平衡点 0.5",
        "state_idle": "空闲",
        "state_waiting": "等待空闲的训练名额",
        "state_running": "训练中",
        "state_paused": "已暂停",
        "state_stopped": "已停止",
        "state_error": "出错",
        "state_none": "尚未开始：选择设置后点击“开始”",
        "status_line": "**{state}** · 第 {step} 步 · 第 {epoch} 轮 · {it_s:.1f} 步/秒 · 用时 {elapsed} · 设备 {device}",
        "sharing_note": "本服务器上有 {n} 个训练同时进行：每个都平均分到一份算力。",
        "classroom_note": "课堂模式：很多人共用这台服务器，所以本次训练使用较小的网络（宽度 {g_width}，批大小 "
                          "{batch_size}），让每个人都能全速训练。如需改用其他大小，请修改后点击“重置”。",
        "your_name": "你的名字（老师可见，1–32 个字符）",
        "name_saved": "老师看到的你的名字：{name}",
        "err_name": "名字须为 1 到 32 个可打印字符。",
        "lesson_from_teacher": "老师设置了课程：{lesson}。设置已填入各控件：点击“开始”（如果正在训练，请先点击“重置”）。",
        "teacher_title": "## 教师视图",
        "teacher_token": "教师口令",
        "teacher_sign_in": "登录",
        "teacher_signed_in": "已登录。全班情况每秒刷新一次。",
        "teacher_refused": "已拒绝。",
        "the_class": "全班（点击某个训练可放大显示）",
        "sort_by": "排序",
        "sort_seat": "座号", "sort_name": "名字", "sort_state": "状态", "sort_step": "步数", "sort_speed": "速度",
        "sort_score": "得分",
        "unnamed": "学生 {seat}",
        "card_caption": "{name} · {state} · 第 {step} 步 · {it_s:.0f} 步/秒{score}",
        "card_modes": " · {modes}/{n_modes} 个模式，高质量 {hq:.0%}",
        "card_fd": " · FD {fd:.1f}，{digits} 个数字",
        "class_empty": "还没有学生开始训练。",
        "shown_label": "放大显示",
        "shown_large": "放大显示：{name}（{dataset}，{model}，{loss}），第 {step} 步",
        "class_lesson": "全班课程",
        "set_lesson": "为全班设置课程",
        "lesson_set": "每个学生的页面现在都显示课程“{lesson}”；每人仍需点击“开始”。",
        "pause_all": "全部暂停",
        "resume_all": "全部继续",
        "paused_n": "已暂停 {n} 个训练。",
        "resumed_n": "已继续 {n} 个训练。",
        "challenge": "挑战",
        "challenge_all_modes": "最先以 ≥ 90% 高质量覆盖全部模式（ring8、grid25）",
        "challenge_all_digits": "最先生成全部 10 个数字（MNIST）",
        "challenge_lowest_fd": "最低 Fréchet 距离（MNIST）",
        "start_challenge": "开始挑战",
        "challenge_started": "挑战已开始：排行榜从现在开始计时。",
        "leaderboard": "排行榜",
        "lb_rank": "名次", "lb_name": "名字", "lb_dataset": "数据集", "lb_step": "步数", "lb_score": "得分",
        "lb_reached": "达成用时",
        "export_class": "导出全班（检查点 .zip + CSV）",
        "export_file": "全班导出文件",
        "err_server_full": "服务器已满：它正在训练的数量已达上限 {limit} 个。请一分钟后再试。",
        "err_host_limit": "{field} = {value} 超出了本服务器的限制：请选择 {range} 之内的值。",
        "step_limit_reached": "本次训练已达到服务器每次训练 {limit} 步的上限：点击“重置”开始新的训练。",
        "found_reattached": "欢迎回来：这是你之前的训练。页面关闭期间它一直在继续训练。",
        "found_restored": "你的训练已从自动保存中恢复到第 {step} 步，目前已暂停：点击“继续”接着训练。",
        "found_restore_failed": "无法恢复你保存的训练（其数据或文件已不存在）。请选择设置并点击“开始”重新训练。",
        "applied_live": "已在训练中生效：{fields}。",
        "needs_reset": "已修改 {fields}：请点击“重置”以重建网络。",
        "paused_reason": "已暂停：{reason}",
        "rollback": "第 {step} 步出现非有限值（{values}）：G 和 D 已回滚到第 {to} 步；请尝试降低学习率",
        "error_reason": "训练失败：{reason}。请点击“重置”重新开始。",
        "formula_note_minimax": "在 minimax 目标下，达到平衡时 D(x) 与 D(G(z)) 都趋向 0.5，D 再也分不清真假；"
                                "当 D 能自信地拒绝假样本时，G 的损失会饱和。",
        "formula_note_non_saturating": "G 改为最大化 log D(G(z))，而不是最小化 log(1 − D(G(z)))：平衡点相同"
                                       "（D(x) = D(G(z)) = 0.5），但训练初期梯度强得多。",
        "run_minutes": "训练多少分钟后停止（0 = 不停止）",
        "run_left": "定时训练：还剩 {left} · 学习率 × {scale:.2f}",
        "run_over": "已暂停：{minutes} 分钟的定时训练结束（学习率在最后降到 0）。按“继续”将以完整学习率接着训练。",
        "data_files": "你的图像：一个 .zip 或若干图像文件（数据集 'folder'）",
        "err_no_images": "数据集 'folder' 需要图像：请先上传一个 .zip 或一些图像文件。",
        "label": "标签（数字）",
        "label0": "起点标签",
        "label1": "终点标签",
        "err_conditional": "条件模型需要带标签的数据（{labelled}）；{dataset} 没有标签。",
        "err_label_mode": "标签路径需要一个类别条件生成器。",
        "formula_note_lsgan": "D 把真实样本回归到 1、把假样本回归到 0；平衡时 D(x) 与 D(G(z)) 都位于 0.5。"
                              "图中是 D 的原始输出，而不是概率。",
        "formula_note_hinge": "D 希望真实样本得分高于 +1、假样本低于 −1；G 则努力抬高假样本的得分。"
                              "图中是 D 的原始得分：随着 G 变好而缩小的是两者之间的差距，而不是 0.5 线。",
        "formula_note_wgan_gp": "判别器（critic）用 E[D(x)] − E[D(G(z))] 估计 Wasserstein 距离；梯度惩罚使它保持 "
                                "1-Lipschitz。它的得分不是概率：请观察两条曲线之间的差距逐渐缩小。",
        "formula_note_r1": "开启 R1 后，D 的损失还要加上 γ/2 乘以它在真实数据上梯度的平方，这能抑制平衡点附近的振荡。",
        "source": "生成器",
        "source_training": "本会话的 G（实时）",
        "source_checkpoint": "已加载的检查点",
        "random_z": "随机 z",
        "truncation": "截断 ψ",
        "z_sliders": "z 的前几个维度",
        "z_slider": "z[{i}]",
        "explore_image": "G(z)",
        "interpolation": "插值",
        "seed0": "z0 的种子",
        "seed1": "z1 的种子",
        "mode": "路径",
        "n_frames": "帧数",
        "interpolate": "插值",
        "strip": "z0 → z1",
        "interp_gif": "插值 GIF",
        "checkpoints": "检查点",
        "save_ckpt": "保存当前 G",
        "ckpt_file": "检查点文件",
        "upload_ckpt": "上传 .safetensors 检查点",
        "shipped_ckpt": "checkpoints/ 中的检查点",
        "load_ckpt": "加载",
        "ckpt_loaded": "已加载 {name}：{model}，数据集 {dataset}，第 {step} 步，z_dim {z_dim}。",
        "no_ckpt_loaded": "尚未加载检查点。",
        "err_field": "{field} 必须是{kind} {range}；收到的是 {value}。",
        "err_choice": "{field} 必须是 {choices} 之一；收到的是 {value}。",
        "kind_int": "以下范围内的整数：",
        "kind_num": "以下范围内的数：",
        "err_no_session": "还没有开始训练：请先点击“开始”。",
        "err_dcgan_2d": "dcgan 模型需要图像数据集，而 {dataset} 是二维数据：请选择 mlp 模型。",
        "err_no_generator": "还没有生成器：请在“训练”页开始训练，或加载一个检查点。",
        "err_running_step": "正在训练：请先暂停再单步。",
        "err_failed": "会话出错（{reason}）：请点击“重置”。",
        "err_dataset": "数据集不可用：{reason}",
        "err_settings": "这些设置无法一起使用：请检查最近修改的值。",
        "err_unknown_field": "未知的设置：{names}。",
        "err_image_too_large": "这些图片太大，无法安全打开（每张超过 {limit} 像素）：请上传更小的图片，例如小于 10,000 × 10,000。",
        "err_no_frames": "还没有延时帧：请先训练一会儿。",
        "err_no_file": "请先选择一个检查点文件。",
        "err_ckpt_missing": "该检查点不存在。",
        "err_ckpt_too_large": "文件过大，不可能是 ganapp 检查点。",
        "err_ckpt_not_safetensors": "该文件不是 safetensors 检查点。ganapp 从不打开 pickle 格式的 .pt/.pth 文件。",
        "err_ckpt_not_ganapp": "该 safetensors 文件不是 ganapp 检查点（其中没有 ganapp 配置）。",
        "err_ckpt_bad_config": "该检查点中的配置无效。",
        "err_ckpt_bad_weights": "该检查点的权重与其模型不匹配。",
        "err_internal": "出了点问题（{reason}）。你的训练不受影响。",
        "phase_d": "D 更新",
        "phase_g": "G 更新",
        "decision": "D：为真的概率",
        "critic": "评论家分数",
        "arrows": "G 的梯度（−∇ g_loss）",
        "manifold": "G 的流形（z 网格的像）",
        "layers": "二维视图的图层",
        "step_d": "单步 D",
        "step_g": "单步 G",
        "step_both": "单步 D 和 G",
        "slow_motion": "慢动作：每次更新停留秒数（0 = 关闭）",
        "metrics2d_plot": "G 离数据有多近？",
        "m2d_kl": "KL(真实 ‖ 生成)，网格估计",
        "m2d_js": "JS，网格估计",
        "m2d_modes": "覆盖的模式",
        "m2d_high_quality": "高质量样本",
        "m2d_reverse_kl": "模式上的反向 KL",
        "m2d_g_grad": "G 的拉力 ‖∇ₓ g_loss‖",
        "m2d_g_grad_b": "G 的拉力，运行 B",
        "alert_falling": "⚠️ **模式崩溃。** G 现在只覆盖 {n_"
        "modes} 个模式中的 {modes} 个，比之前少。D 学会了拒绝 G 生成的"
                         "模式，于是 G 把样本挪到 D 仍然接受的少数地方，追逐继续下去。可以试试非饱和损失、R1 惩罚"
                         "（γ = 0.1）、更低的 D 学习率，或 WGAN-GP。",
        "alert_low": "⚠️ **模式覆盖过低。** 训练了很多步后，G 仍然只覆盖 {n_modes} 个模式中的 {modes} 个：它找到了几个能"
                     "骗过 D 的模式并停在那里。可以试试非饱和损失、R1 惩罚（γ = 0.1）、更宽的 G，或 WGAN-GP。",
        "lessons": "课程",
        "lesson_pick": "选择一节课",
        "preset_alternating": "交替更新，一次一步",
        "preset_alternating_text": "**一步一步看极小极大博弈。** 先点击 **单步 D**，再点击 **单步 G**，对照公式读每次更新："
                                   "D 提升两项 log D(x) + log(1 − D(G(z)))，此时 G 不动；接着 G 只降低第二项 "
                                   "log(1 − D(G(z)))，此时 D 不动。慢动作让每次更新停留在屏幕上，状态栏会说出它的名字。",
        "preset_saturation": "饱和：minimax 与非饱和损失",
        "preset_saturation_text": "**饱和。** 一个很强的 D（每步 G 之前以学习率 0.01 走 5 步）很快就拒绝所有假样本："
                                  "D(G(z)) ≈ 0。在那里 minimax 的 G 损失 log(1 − D(G(z))) 是平的，G 的箭头几乎消失。"
                                  "旁边的运行 B 与它相同，只是改用非饱和损失 −log D(G(z))，它恰恰在那里拉得最用力。",
        "preset_mode_collapse": "grid25 上的模式崩溃",
        "preset_mode_collapse_text": "**模式崩溃。** 25 个高斯分布、原始的 minimax 损失、没有正则项、较窄的 G 和 D，"
                                     "并且 G 的学习速度是 D 的五倍。G 的样本挤成一两团，D 把它们推开，它们又跳到别处："
                                     "任何时刻 G 只覆盖 25 个模式中的少数几个，提示一直亮着。再与 grid25 的默认设置"
                                     "（R1 γ = 0.1）比较，它能覆盖全部 25 个。",
        "preset_strong_d": "过强的 D",
        "preset_strong_d_text": "**过强的 D。** 每步 G 之前，D 以学习率 0.01 走 5 步。D(x) 趋向 1，D(G(z)) 趋向 0，"
                                "它的图变成悬崖，G 的箭头缩到没有：G 不再学习。旁边的运行 B 的 D 是平衡的"
                                "（每步 1 次，学习率 0.001）。",
        "preset_wgan_smooth": "WGAN-GP 的平滑评论家",
        "preset_wgan_smooth_text": "**平滑的评论家。** WGAN-GP 的梯度惩罚让评论家的斜率处处接近 1，所以每个假样本，"
                                   "无论离数据多远，都得到指向数据的箭头。旁边的运行 B 与它相同，只是改用 minimax "
                                   "损失：它的 D 饱和了，还没到达数据的假样本完全得不到拉力。",
        "preset_mlp_vs_dcgan": "MNIST 上的 MLP GAN 与 DCGAN",
        "preset_mlp_vs_dcgan_text": "**MLP GAN 与 DCGAN。** 同样的数字、同样的损失、同样的分钟数：运行 A 是 DCGAN"
                                    "（卷积），运行 B 是 MLP GAN（256、512、1024 个单元的全连接层）。两者并排训练 3 分钟，由实时 FD"
                                    "（越低越好）评判。",
        "lesson_watch": "**观察什么：** {watch}",
        "lesson_alternating_watch": "点击 **单步 D** 后，D 的目标值上升（D(G(z)) 下降），只有判别图变化；点击 **单步 G** 后，"
                                    "D(G(z)) 上升，只有点在移动。状态栏会框出每次更新所依据的那一项。",
        "lesson_saturation_watch": "状态栏和二维指标图曲线中 G 的拉力 ‖∇ₓ g_loss‖（运行 B 为虚线），看前 300 步："
                                   "在 minimax 下它降到非饱和损失的十分之一或更低。",
        "lesson_mode_collapse_watch": "状态栏和二维指标图中的覆盖率：两分钟的大部分时间里只有 25 个模式中的 10 个（40%）"
                                      "或更少，而点团在跳来跳去。当 G 只覆盖 4 个或更少时，运行会暂停。",
        "lesson_strong_d_watch": "运行 A 中 D(x) → 1、D(G(z)) → 0，以及状态栏中 G 的拉力 ‖∇ₓ g_loss‖：运行 A 的降到 0，"
                                 "运行 B 的在增长。",
        "lesson_wgan_smooth_watch": "状态栏中 G 对远离数据的假样本的拉力：评论家（运行 A）接近 1，饱和的 D（运行 B）"
                                    "接近 0。",
        "lesson_mlp_vs_dcgan_watch": "每分钟看两个网格和状态栏中的实时 FD：DCGAN 的数字更早变清晰，它的 FD 最后更低。",
        "lesson_pace": "以每秒 {pace} 步的速度运行，所以第 {first} 到 {last} 步在屏幕上持续 {minutes} 分钟。",
        "lesson_budget_note": "运行在第 {steps} 步暂停；点击“重置”可以再看一遍。",
        "lesson_twin_note": "“开始”也会在旁边启动运行 B，设置为 {changes}。",
        "lesson_now": "**课程：{lesson}**",
        "lesson_live_modes": "G 现在覆盖 **{n_modes} 个模式中的 {modes} 个**（{share}）。",
        "lesson_live_g_grad": "G 对其样本的拉力 ‖∇ₓ g_loss‖：运行 A **{a}**，运行 B **{b}**（B 是 A 的 {ratio}）。"
                              "运行 A：D(x) = {d_x}，D(G(z)) = {d_g_z}。",
        "lesson_live_far": "G 对远离数据的假样本的拉力 ‖∇ₓ g_loss‖：运行 A（评论家）**{a}**，运行 B（minimax 的 D）"
                           "**{b}**（A 是 B 的 {ratio}）。",
        "lesson_live_phase_d": "屏幕上：**D 的更新**。D 提升 log D(x) + log(1 − D(G(z)))；G 被冻结。",
        "lesson_live_phase_g": "屏幕上：**G 的更新**。G 降低 log(1 − D(G(z)))；D 被冻结。",
        "lesson_live_phase_none": "先点击 **单步 D**，再点击 **单步 G**。",
        "lesson_live_fd": "实时 FD（越低越好）：运行 A **{a}**（第 {step_a} 步），运行 B **{b}**（第 {step_b} 步）。",
        "lesson_window_now": "观察第 {first} 到 {last} 步；现在是第 {step} 步。",
        "lesson_mode_collapse_pause": "⏸ **关键时刻**（第 {step} 步）：G 只覆盖 {n_modes} 个模式中的 {modes} 个，"
                                      "D 从一团追到下一团。点击“继续”看它跳动。",
        "lesson_budget": "⏸ 本课的 {steps} 步已经完成：比较你看到的，然后点击“重置”再运行一次。",
        "for_teachers": "📘 [给老师：用本应用上一节 45 分钟的课](guide)",
        "draw": "画出你自己的分布",
        "draw_help": "在画板上作画，然后点击按钮：你的笔画会变成 2,000 个点，数据集变为 `drawn`。",
        "use_drawing": "用我的画训练",
        "drawing_saved": "你的画变成了 {n} 个点；数据集现在是 `drawn`。点击开始或重置。",
        "err_no_drawing": "请先在画板上画一个形状（至少 10 个像素）。",
        "err_drawn_missing": "数据集 `drawn` 需要一幅画：在画板上作画并点击“用我的画训练”。",
        "compare": "并排对比：改变一个设置的第二次运行",
        "compare_help": "运行 B 与你的运行 A 在相同数据"
        "和种子上并排训练，只改变一个设置。两者的曲线共用坐标轴（B 为虚线），"
                        "样本并排显示。开始、暂停、继续、单步和停止同时控制两者；两者都计入服务器的训练数量上限。",
        "compare_field": "运行 B 中改变的设置",
        "compare_value": "它在运行 B 中的值",
        "start_compare": "开始 A 和 B",
        "end_compare": "结束运行 B",
        "compare_note": "运行 A：{field} = {a}。运行 B：{field} = {b}。两者都用相同的种子从头开始。",
        "compare_ended": "运行 B 已停止；运行 A 继续。",
        "compare_ended_by_reset": "重置已结束运行 B：如需再次并排比较两个训练，请重新开始比较。",
        "compare_none": "没有运行 B。",
        "err_compare_same": "运行 B 将与运行 A 相同（{field} = {value}）：请选择另一个值。",
        "smoothing": "曲线平滑（EMA；0 为原始曲线）",
        "run_a": "A",
        "scatter_b": "运行 B：真实点与生成点",
        "run_b": "B",
        "twin_status": "运行 B（{diff}）：**{state}**，第 {step} 步，{it_s:.1f} it/s",
        "shown_checkpoint": "正在显示已加载的检查点：{dataset} 上的 {model}，第 {step} 步。",
        "shown_session": "正在显示本会话训练中的 G：{dataset} 上的 {model}，第 {step} 步。",
        "shown_default": "在你训练或加载生成器之前，显示随附的生成器 `{name}`。",
        "init": "起点",
        "init_scratch_choice": "从头开始（全新的 G 和 D）",
        "init_uploaded_choice": "我上传的检查点",
        "init_scratch": "训练从全新初始化的网络开始。",
        "init_note": "微调：开始后将从第 {step} 步继续训练这个 {dataset} 上的 {model}（{d}）。它的设置已填入控件；"
                     "学习率和损失函数可以修改。",
        "init_with_d": "使用它的 G 和 D",
        "init_fresh_d": "使用它的 G 和全新的 D：文件里没有 D",
        "err_no_upload_to_tune": "请先在“探索”页上传一个检查点，或选择其他起点。",
        "err_init_mismatch": "所选检查点与这些设置不匹配（{reason}）。重新选择它以恢复其设置，或从头开始。",
        "quality_plot": "质量（MNIST 分类器）",
        "fd": "Fréchet 距离",
        "fd_floor": "真实对真实",
        "class_hist": "类别",
        "quality_caption": "第 {step} 步：Fréchet 距离 **{fd:.1f}**（真实对真实：{floor:.1f}），"
                           "出现 **{classes}/10** 个数字，类别分布相对均匀分布的 KL **{kl:.3f}**，"
                           "{confident:.0%} 的样本以 ≥ 0.9 的置信度被识别（{n} 个样本，由随附的 MNIST 分类器评判）。"
                           "类别减少或 KL 上升就是模式崩溃。",
        "label_accuracy_note": "**{accuracy:.0%}** 的数字与给 G 的标签一致。",
        "directions": "语义方向（GANSpace）",
        "directions_help": "对 2,000 个样本在 G 第一层的激活做 PCA（Härkönen 等，2020）：每个滑块沿一个主方向移动图像，"
                           "单位是标准差。方向属于找到它们的那个 G：继续训练后请重新查找。",
        "find_directions": "查找方向",
        "directions_found": "已找到这个 {model}（{where}）的前 {k} 个方向。",
        "direction_label": "方向 {i}（占方差 {share}）",
        "direction_name": "当前滑块组合的名称",
        "save_direction": "保存方向",
        "direction_saved": "已保存方向“{name}”。在下面选择它并调节强度。",
        "saved_directions": "已保存的方向",
        "direction_amount": "强度",
        "download_directions": "下载方向",
        "directions_file": "方向文件（.safetensors）",
        "err_direction_unknown": "没有名为“{name}”的已保存方向。",
        "err_directions_stale": "这些方向来自另一个生成器：请再次点击“查找方向”。",
        "err_directions_2d": "方向用于图像生成器；二维数据只有两个坐标可以移动。",
        "err_no_directions": "请先点击“查找方向”。",
        "err_direction_zero": "所有方向滑块都为 0：保存前请至少移动一个。",
        "kind_chars": "长度在此范围内的名称：",
        "timelapse": "延时：一个 z 贯穿训练过程",
        "timelapse_help": "同一个 z 依次经过一次训练中保留的生成器（本会话在第 0、25、50、100、150、200、300、500 …… 步"
                          "保留 G），或经过用 `python -m ganapp train --save-every N` 保存的检查点。",
        "timelapse_source": "生成器",
        "timelapse_run": "本会话的训练",
        "timelapse_files": "上传的检查点",
        "make_timelapse": "显示延时",
        "timelapse_strip": "一个 z，逐步变化",
        "timelapse_gif": "延时 GIF",
        "timelapse_steps": "步数：{steps}",
        "err_timelapse_mixed": "这些检查点不是来自同一次训练（z_dim、类别或数据不同）。",
        "err_timelapse_2d": "延时展示的是图像；二维数据请看“训练”页的散点图。",
        "warn_2d_explore": "二维数据集：探索页显示的是点，而不是图像。",
    },
}
# Each setting's label and help live with its range in the config's schema (ganapp.config.SETTINGS): the label as
# the setting's name, the help as "help_<name>".
for _lang, _table in STRINGS.items():
    for _name, _setting in SETTINGS.items():
        _table[_name] = _setting.label[_lang]
        _table[f"help_{_name}"] = _setting.help[_lang]


def t(lang: str, key: str, **fields: object) -> str:
    """The string ``key`` in ``lang`` (English when ``lang`` is unknown), formatted with ``fields``.

    Raises:
        KeyError: ``key`` does not exist.
    """
    table = STRINGS.get(lang, STRINGS["en"])
    text = table[key]
    return text.format(**fields) if fields else text
