"""docs/checking-your-layers.md is what docs/make_layers_walkthrough.py writes now: the
page's outputs are verigrad's, for at least 20 learner mistakes across the exercises."""

def test_the_walkthrough_is_what_the_generator_writes(generated_pages):
    generator = generated_pages.load("make_layers_walkthrough")
    rendered = generator.render()
    generated_pages.assert_current("checking-your-layers.md", rendered, "make_layers_walkthrough")
    mistakes = sum(len(module.MISTAKES) for _, module in generator.GROUPS)
    assert mistakes >= 20 and rendered.count("# bug") >= mistakes
