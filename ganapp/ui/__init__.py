"""The Gradio app. The only package of ganapp that imports gradio."""

from .handlers import GanApp
from .layout import CSS, build_demo

__all__ = ["CSS", "GanApp", "build_demo"]
