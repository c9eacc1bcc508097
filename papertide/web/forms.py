from django import forms


class SubmitForm(forms.Form):
    paper = forms.CharField(
        label="arXiv id or link",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "2411.17775 or https://arxiv.org/abs/2411.17775",
                                      "autocomplete": "off", "autofocus": True}),
    )
