"""Forward models as torch operations: noise, resizing, blur, JPEG, masks, CT projection.

Used by training to synthesise degraded data and by the tasks; never imports models.
Every random function takes an explicit generator so that data synthesis is reproducible.
"""
