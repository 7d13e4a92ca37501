System.Console.WriteLine(Vyre.Samples.HashKernels.Template.Digest);
