"""The Gradio app: pages and their handlers, split by tab, and the strings in each language. The only package of
ganapp that imports gradio."""
